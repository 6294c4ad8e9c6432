"""Tests for hack/chartvalues.py, the generator of each chart's values.schema.json and README.md: documented keys
become a strict schema, `# @schema` merges, free-form and open mappings, a mapping closed again inside an open
one with the upstream keys it accepts (and the misuses of `upstreamKeys` refused by name), block scalars and lists
are not read as keys, an undocumented key is refused by name, and `--check` reports drift without writing."""

from __future__ import annotations

import importlib.util
import json
import pathlib
import sys
import textwrap
from types import ModuleType

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def chartvalues() -> ModuleType:
    spec = importlib.util.spec_from_file_location("chartvalues", ROOT / "hack" / "chartvalues.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


VALUES = textwrap.dedent(
    """\
    # A header comment that documents nothing.

    image:
      # -- Image repository.
      repository: example/app
      # -- Pull policy.
      # @schema {"enum": ["Always", "IfNotPresent"]}
      pullPolicy: IfNotPresent
    # -- Replicas, with a description
    # that continues on a second line.
    # @schema {"minimum": 1}
    replicas: 2
    # -- Resources (free-form).
    # @schema {"freeform": true}
    resources:
      requests:
        cpu: 100m
    # -- Labels.
    labels: {}
    # -- Extra args.
    args:
      - --flag
      - nested: value
    # -- A block of text.
    config: |
      notAKey: 1
    # -- Another chart's values.
    # @schema {"additionalProperties": true}
    sub:
      deep:
        # -- A documented knob of the subchart.
        knob: 3
    """
)


def chart(tmp_path: pathlib.Path, values: str) -> pathlib.Path:
    (tmp_path / "Chart.yaml").write_text(
        "apiVersion: v2\nname: demo\nversion: 1.2.3\nappVersion: '4.5'\ndescription: A demo.\n"
    )
    (tmp_path / "values.yaml").write_text(values)
    return tmp_path


def test_schema_is_strict_and_merges_overrides(chartvalues: ModuleType, tmp_path: pathlib.Path) -> None:
    files = chartvalues.generate(chart(tmp_path, VALUES))
    schema = json.loads(files[tmp_path / "values.schema.json"])
    assert schema["additionalProperties"] is False
    props = schema["properties"]
    assert set(props) == {"image", "replicas", "resources", "labels", "args", "config", "sub", "global"}
    assert props["image"]["additionalProperties"] is False
    assert props["image"]["properties"]["pullPolicy"]["enum"] == ["Always", "IfNotPresent"]
    assert props["replicas"] == {
        "type": "integer",
        "description": "Replicas, with a description that continues on a second line.",
        "minimum": 1,
    }
    assert props["resources"] == {"type": "object", "description": "Resources (free-form)."}
    assert props["sub"]["additionalProperties"] is True
    assert props["sub"]["properties"]["deep"]["additionalProperties"] is True
    assert props["config"]["type"] == "string"


def test_readme_lists_every_documented_value(chartvalues: ModuleType, tmp_path: pathlib.Path) -> None:
    readme = chartvalues.generate(chart(tmp_path, VALUES))[tmp_path / "README.md"]
    assert readme.startswith("# demo\n")
    assert '| image.pullPolicy | string | `"IfNotPresent"` | Pull policy. |' in readme
    assert "| sub.deep.knob | int | `3` | A documented knob of the subchart. |" in readme
    assert '| resources | object | `{"requests":{"cpu":"100m"}}` | Resources (free-form). |' in readme
    assert '| config | string | `"notAKey: 1\\n"` | A block of text. |' in readme
    assert "| notAKey" not in readme


def test_an_undocumented_key_is_refused_by_name(chartvalues: ModuleType, tmp_path: pathlib.Path) -> None:
    with pytest.raises(chartvalues.ValuesError, match=r"no `# --` comment: image.tag; document each one"):
        chartvalues.generate(chart(tmp_path, "image:\n  # -- Repo.\n  repository: x\n  tag: ''\n"))


def test_check_reports_drift_without_writing(chartvalues: ModuleType, tmp_path: pathlib.Path) -> None:
    path = chart(tmp_path, VALUES)
    assert chartvalues.main(["--check", str(path)]) == 1
    assert not (path / "README.md").exists()
    assert chartvalues.main([str(path)]) == 0
    assert chartvalues.main(["--check", str(path)]) == 0


CLOSED = textwrap.dedent(
    """\
    # -- Another chart's values.
    # @schema {"additionalProperties": true}
    sub:
      # -- A mapping of knobs we document, closed again.
      # @schema {"additionalProperties": false, "upstreamKeys": ["other"]}
      knobs:
        # -- Ours.
        mine: 1
      # -- An open neighbour.
      free:
        # -- Ours too.
        knob: true
    """
)


def test_a_mapping_inside_an_open_block_can_be_closed(chartvalues: ModuleType, tmp_path: pathlib.Path) -> None:
    schema = json.loads(chartvalues.generate(chart(tmp_path, CLOSED))[tmp_path / "values.schema.json"])
    sub = schema["properties"]["sub"]
    assert sub["additionalProperties"] is True
    knobs = sub["properties"]["knobs"]
    assert knobs["additionalProperties"] is False
    assert knobs["properties"]["mine"]["type"] == "integer"
    assert set(knobs["properties"]) == {"mine", "other"}
    assert "type" not in knobs["properties"]["other"]
    assert sub["properties"]["free"]["additionalProperties"] is True


@pytest.mark.parametrize(
    ("values", "message"),
    [
        pytest.param(
            CLOSED.replace('["other"]', '["mine"]'), r"sub.knobs: mine is documented here", id="documented-twice"
        ),
        pytest.param(
            CLOSED.replace('"additionalProperties": false, ', ""),
            r"sub.knobs: `upstreamKeys` belongs on a mapping marked additionalProperties false",
            id="not-closed",
        ),
    ],
)
def test_upstream_keys_misuse_is_refused(
    chartvalues: ModuleType, tmp_path: pathlib.Path, values: str, message: str
) -> None:
    with pytest.raises(chartvalues.ValuesError, match=message):
        chartvalues.generate(chart(tmp_path, values))
