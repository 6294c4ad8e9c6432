"""Tests for modelplane.hooks.runtimesets: parsing the hook's label selector (equalities only, each label once),
loading the rendered runtimes (an empty set is valid; other kinds, namespaced, unnamed or repeated runtimes, runtimes
without the selector's labels and broken YAML are refused, naming the problem), and choosing what to prune (only
runtimes that carry the labels and hold an Apply entry of the hook's field manager, and are not kept)."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest
import yaml
from modelplane.hooks import errors, runtimesets

SELECTOR = {"app.kubernetes.io/instance": "platform", "modelplane.io/bundled": "true"}
MANAGER = "modelplane-hook"


def runtime(name: str, *, labels: dict[str, str] | None = None, managers: tuple[str, ...] = ()) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "ClusterServingRuntime",
        "metadata": {"name": name, "labels": dict(SELECTOR if labels is None else labels)},
        "spec": {"containers": [{"name": "kserve-container", "image": "modelplane/runtime:0.1.0"}]},
    }
    if managers:
        obj["metadata"]["managedFields"] = [
            {"manager": m, "operation": op} for entry in managers for m, _, op in [entry.partition(":")]
        ]
    return obj


def write(folder: pathlib.Path, *docs: Any, name: str = "runtimes.yaml") -> pathlib.Path:
    (folder / name).write_text("---\n".join(yaml.safe_dump(d) for d in docs))
    return folder


def test_parse_selector_reads_equalities() -> None:
    assert runtimesets.parse_selector(" app.kubernetes.io/instance=platform , modelplane.io/bundled=true") == SELECTOR
    assert runtimesets.parse_selector("tier=") == {"tier": ""}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "is not `label=value`", id="empty"),
        pytest.param("app", "'app' is not `label=value`", id="no-value"),
        pytest.param("app!=x", "'app!=x' is not", id="inequality"),
        pytest.param("app==x", "'app==x' is not", id="double-equals"),
        pytest.param("app in (a,b)", "is not", id="set-based"),
        pytest.param("a=b,,c=d", "'' is not", id="empty-term"),
        pytest.param("a=has space", "'a=has space' is not", id="bad-value"),
        pytest.param("a=1,a=2", "names label 'a' twice", id="repeated"),
    ],
)
def test_parse_selector_refuses_what_it_cannot_write_as_labels(text: str, message: str) -> None:
    with pytest.raises(errors.HookError, match=message):
        runtimesets.parse_selector(text)


def test_load_reads_every_runtime_in_file_order(tmp_path: pathlib.Path) -> None:
    write(tmp_path, runtime("modelplane-xgboost"), name="b.yaml")
    write(tmp_path, runtime("modelplane-sklearn"), runtime("modelplane-onnx"), name="a.yaml")
    (tmp_path / "notes.txt").write_text("not a manifest")
    names = [r["metadata"]["name"] for r in runtimesets.load(tmp_path, selector=SELECTOR)]
    assert names == ["modelplane-sklearn", "modelplane-onnx", "modelplane-xgboost"]


def test_an_empty_set_is_valid(tmp_path: pathlib.Path) -> None:
    (tmp_path / "runtimes.yaml").write_text("")
    assert runtimesets.load(tmp_path, selector=SELECTOR) == []


@pytest.mark.parametrize(
    ("docs", "message"),
    [
        pytest.param(
            [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}],
            "holds a v1 ConfigMap; only serving.kserve.io/v1alpha1 ClusterServingRuntime",
            id="other-kind",
        ),
        pytest.param(
            [{**runtime("x"), "apiVersion": "serving.kserve.io/v1beta1"}],
            "holds a serving.kserve.io/v1beta1 ClusterServingRuntime",
            id="other-version",
        ),
        pytest.param(["just a string"], "holds a str", id="not-a-mapping"),
        pytest.param([{**runtime("x"), "metadata": {"labels": SELECTOR}}], "without metadata.name", id="unnamed"),
        pytest.param(
            [{**runtime("x"), "metadata": {"name": "x", "namespace": "default", "labels": SELECTOR}}],
            "names a namespace; it is cluster-scoped",
            id="namespaced",
        ),
        pytest.param([runtime("x"), runtime("x")], "ClusterServingRuntime x appears twice", id="repeated"),
        pytest.param(
            [runtime("x", labels={"app.kubernetes.io/instance": "other", "modelplane.io/bundled": "true"})],
            r"lacks the labels \{'app.kubernetes.io/instance': 'platform'\}",
            id="foreign-labels",
        ),
    ],
)
def test_load_refuses_what_the_hook_could_not_own(tmp_path: pathlib.Path, docs: list[Any], message: str) -> None:
    write(tmp_path, *docs)
    with pytest.raises(errors.HookError, match=message):
        runtimesets.load(tmp_path, selector=SELECTOR)


def test_load_refuses_broken_yaml_and_a_missing_folder(tmp_path: pathlib.Path) -> None:
    (tmp_path / "runtimes.yaml").write_text("a: [unclosed\n")
    with pytest.raises(errors.HookError, match="is not valid YAML"):
        runtimesets.load(tmp_path, selector=SELECTOR)
    with pytest.raises(errors.HookError, match="is not a directory"):
        runtimesets.load(tmp_path / "absent", selector=SELECTOR)


def test_stale_is_what_the_hook_applied_and_no_longer_renders() -> None:
    live = [
        runtime("kept", managers=(f"{MANAGER}:Apply",)),
        runtime("dropped", managers=(f"{MANAGER}:Apply", "kubectl:Update")),
        runtime("by-helm", managers=("helm:Update",)),
        runtime("by-hand", managers=(f"{MANAGER}:Update",)),
        runtime("other-release", labels={"app.kubernetes.io/instance": "x"}, managers=(f"{MANAGER}:Apply",)),
        runtime("also-dropped", managers=(f"{MANAGER}:Apply",)),
    ]
    assert runtimesets.stale(live, keep={"kept"}, selector=SELECTOR, manager=MANAGER) == ["also-dropped", "dropped"]
    everything = runtimesets.stale(live, keep=(), selector=SELECTOR, manager=MANAGER)
    assert everything == ["also-dropped", "dropped", "kept"]
