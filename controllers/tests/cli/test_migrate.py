"""Tests for `modelplane migrate` (modelplane.cli.migrate) on files and folders.

Covers: every KFServing manifest in shared/fixtures migrated (printed, -o file, -o folder, --in-place) with comments
and key order kept and the result passing validation; the canary fixture becoming predictor + 10% (and the default
spec alone with --default-only); --check exit codes and listing; already-migrated files left alone; multi-document
files with other kinds; sequence indentation kept; and the one-line errors for files that are not YAML, hold no
InferenceService, cannot be migrated or would be rejected, for missing paths and for a folder without an output
mode. A `cluster` test has the local API server accept each migrated fixture unpruned.
"""

from __future__ import annotations

import json
import pathlib
import re
import shutil
import subprocess

import pytest
import yaml
from modelplane.api import crds, settings, validation
from modelplane.cli import __main__ as cli
from modelplane.cli import errors, migrate

ROOT = pathlib.Path(__file__).resolve().parents[3]
FIXTURES = ROOT.parent / "shared" / "fixtures"
FIXTURE_NAMES = sorted(path.name for path in FIXTURES.glob("*.yaml"))


@pytest.fixture
def fixtures(tmp_path: pathlib.Path) -> pathlib.Path:
    """A writable copy of the shared KFServing fixtures."""
    folder = tmp_path / "manifests"
    shutil.copytree(FIXTURES, folder)
    return folder


def test_the_shared_fixtures_are_there() -> None:
    assert len(FIXTURE_NAMES) >= 3


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_each_fixture_migrates_keeps_comments_and_validates(
    fixtures: pathlib.Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = (fixtures / name).read_text()
    assert cli.main(["migrate", str(fixtures / name)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == source.splitlines()[0]  # the leading comment
    assert out.splitlines()[0].startswith("#")
    document = yaml.safe_load(out)
    assert document["apiVersion"] == "serving.kserve.io/v1beta1"
    assert list(document) == ["apiVersion", "kind", "metadata", "spec"]
    assert validation.validate_inference_service(document, old=None, config=settings.Defaults()) == []
    assert (fixtures / name).read_text() == source  # printing leaves the file alone


def test_canary_fixture_becomes_predictor_with_10_percent(
    fixtures: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["migrate", str(fixtures / "kfserving-flowers-canary-v1alpha2.yaml")]) == 0
    captured = capsys.readouterr()
    assert yaml.safe_load(captured.out)["spec"] == {
        "predictor": {
            "tensorflow": {"storageUri": "gs://kfserving-samples/models/tensorflow/flowers-2"},
            "canaryTrafficPercent": 10,
        }
    }
    assert "90% to the previously rolled-out revision" in captured.err


def test_default_only_gives_step_one_of_a_canary_move(
    fixtures: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    canary = fixtures / "kfserving-flowers-canary-v1alpha2.yaml"
    assert cli.main(["migrate", "--default-only", str(canary)]) == 0
    captured = capsys.readouterr()
    assert yaml.safe_load(captured.out)["spec"] == {
        "predictor": {"tensorflow": {"storageUri": "gs://kfserving-samples/models/tensorflow/flowers"}}
    }
    assert "dropped spec.canary" in captured.err
    assert cli.main(["migrate", str(fixtures / "kfserving-flowers-v1alpha2.yaml")]) == 0
    assert yaml.safe_load(capsys.readouterr().out) == yaml.safe_load(captured.out)


def test_v1beta1_fixture_is_unchanged_but_for_the_group(
    fixtures: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = fixtures / "kfserving-v1beta1-autoscaled.yaml"
    source = path.read_text()
    assert cli.main(["migrate", str(path)]) == 0
    assert capsys.readouterr().out == source.replace("serving.kubeflow.org/v1beta1", "serving.kserve.io/v1beta1")


def test_check_lists_files_then_in_place_fixes_them(fixtures: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["migrate", "--check", str(fixtures)]) == 1
    listed = capsys.readouterr().out.splitlines()
    assert listed == [f"{fixtures / name}: needs migration" for name in FIXTURE_NAMES]
    assert cli.main(["migrate", "--in-place", str(fixtures)]) == 0
    capsys.readouterr()
    assert cli.main(["migrate", "--check", str(fixtures)]) == 0
    assert capsys.readouterr().out == ""
    for name in FIXTURE_NAMES:
        assert "serving.kserve.io/v1beta1" in (fixtures / name).read_text()


def test_output_folder_mirrors_the_input(fixtures: pathlib.Path, tmp_path: pathlib.Path) -> None:
    out = tmp_path / "out"
    assert cli.main(["migrate", str(fixtures), "-o", str(out)]) == 0
    assert sorted(path.name for path in out.iterdir()) == FIXTURE_NAMES
    assert all("serving.kubeflow.org" in (fixtures / name).read_text() for name in FIXTURE_NAMES)


def test_output_file(fixtures: pathlib.Path, tmp_path: pathlib.Path) -> None:
    target = tmp_path / "new.yaml"
    assert cli.main(["migrate", str(fixtures / FIXTURE_NAMES[0]), "-o", str(target)]) == 0
    assert yaml.safe_load(target.read_text())["apiVersion"] == "serving.kserve.io/v1beta1"


MULTI = """\
# a secret and a model
apiVersion: v1
kind: Secret
metadata:
  name: creds  # keep me
---
apiVersion: serving.kubeflow.org/v1beta1
kind: InferenceService
metadata:
  name: iris
spec:
  predictor:
    sklearn:
      storageUri: s3://bucket/iris  # the model
      env:
      - name: A
        value: "1"
"""


def test_multi_document_file_keeps_other_kinds_and_list_style() -> None:
    result = migrate.migrate_text(MULTI, name="multi.yaml")
    assert result is not None
    text, notes = result
    assert text == MULTI.replace("serving.kubeflow.org/v1beta1", "serving.kserve.io/v1beta1")
    assert notes == []


def test_indented_sequences_stay_indented() -> None:
    source = MULTI.replace("      - name: A\n        value", "        - name: A\n          value")
    result = migrate.migrate_text(source, name="x.yaml")
    assert result is not None
    assert '        - name: A\n          value: "1"' in result[0]


def test_already_migrated_text_is_left_alone() -> None:
    assert migrate.migrate_text(MULTI.replace("serving.kubeflow.org", "serving.kserve.io"), name="x.yaml") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("a: [1, 2\n", "not valid YAML", id="not-yaml"),
        pytest.param("apiVersion: v1\nkind: ConfigMap\n", "holds no InferenceService (found: ConfigMap)", id="no-isvc"),
        pytest.param("", "found: nothing", id="empty"),
        pytest.param(
            "apiVersion: serving.kubeflow.org/v1alpha2\nkind: InferenceService\nmetadata: {name: x}\n"
            "spec: {default: {predictor: {tensorrt: {storageUri: 'gs://a/b'}}}}\n",
            "tensorrt",
            id="tensorrt",
        ),
        pytest.param(
            "apiVersion: serving.kubeflow.org/v1beta1\nkind: InferenceService\nmetadata: {name: x}\n"
            "spec: {predictor: {sklearn: {storageUri: 'gs://a/b'}, minReplicas: 3, maxReplicas: 1}}\n",
            "would be rejected: spec.predictor.minReplicas",
            id="invalid-result",
        ),
    ],
)
def test_errors_are_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(errors.CliError, match=re.escape(message)) as caught:
        migrate.migrate_text(text, name="bad.yaml")
    assert str(caught.value).startswith("bad.yaml: ")


def test_cli_reports_errors_without_a_traceback(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\n")
    assert cli.main(["migrate", str(tmp_path / "cm.yaml")]) == 2
    err = capsys.readouterr().err
    assert "modelplane migrate: cannot migrate:" in err
    assert "holds no InferenceService" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["missing.yaml"], "does not exist", id="missing-path"),
        pytest.param(["{dir}"], "is a folder: add --in-place", id="folder-without-mode"),
        pytest.param(["{empty}", "--check"], "holds no *.yaml", id="empty-folder"),
    ],
)
def test_usage_errors(
    fixtures: pathlib.Path, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    (tmp_path / "empty").mkdir()
    resolved = [arg.format(dir=fixtures, empty=tmp_path / "empty") for arg in args]
    assert cli.main(["migrate", *[str(tmp_path / arg) if arg == "missing.yaml" else arg for arg in resolved]]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.cluster
@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_migrated_fixtures_are_accepted_by_the_api_server(kube_cluster: pathlib.Path, name: str) -> None:
    """What migrate writes passes the real API server's schema (and any webhook registered there) unpruned."""
    kubectl = [str(ROOT / "bin" / "kubectl"), "--kubeconfig", str(kube_cluster)]
    crd = next(crd for crd in crds.all_crds() if crd["spec"]["names"]["kind"] == "InferenceService")
    subprocess.run(
        [*kubectl, "apply", "--server-side", "--force-conflicts", "--field-manager=modelplane-tests", "-f", "-"],
        input=json.dumps(crd),
        text=True,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [*kubectl, "wait", "--for=condition=Established", "--timeout=60s", f"crd/{crd['metadata']['name']}"],
        check=True,
        capture_output=True,
    )
    result = migrate.migrate_text((FIXTURES / name).read_text(encoding="utf-8"), name=name)
    assert result is not None
    migrated = yaml.safe_load(result[0])
    stored = subprocess.run(
        [*kubectl, "create", "--dry-run=server", "-o", "json", "-f", "-"],
        input=result[0],
        text=True,
        capture_output=True,
        check=False,
    )
    assert stored.returncode == 0, stored.stderr
    assert json.loads(stored.stdout)["spec"] == migrated["spec"]
