"""Covers `modelplane tune-batching` against a real model server on 127.0.0.1: the short sweep, the evidence
table, the batcher written into the InferenceService YAML with its comments kept, --dry-run, no batcher when one
request at a time serves the rate, and the refusals
(remote endpoint, bad payload, no InferenceService, unreachable target p99, a file with several services)."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import pytest
from modelplane.cli import __main__ as cli
from modelplane.loadtest import servers

PAYLOAD = '{"instances": [[6.8, 2.8, 4.8, 1.4]]}'
MANIFEST = """\
# The iris classifier, tuned by hand once.
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: iris  # keep this name
spec:
  predictor:
    minReplicas: 1
    batcher:
      timeout: 60  # seconds
    model:
      modelFormat:
        name: sklearn
      storageUri: gs://bucket/iris
"""


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    folder = tmp_path_factory.mktemp("iris")
    features, labels = load_iris(return_X_y=True)
    joblib.dump(LogisticRegression(max_iter=500).fit(features, labels), folder / "model.joblib")
    spec, url = servers.runtime_spec(name="iris", model_name="iris", model_dir=folder, workdir=folder)
    with servers.running(spec):
        yield url


def _args(url: str, manifest: pathlib.Path, *extra: str) -> list[str]:
    return [
        "tune-batching", "--url", url, "--model", "iris", "--file", str(manifest), "--payload", PAYLOAD,
        "--sizes", "1,8", "--seconds-per-size", "1", "--requests-per-size", "40", *extra,
    ]  # fmt: skip


def test_writes_the_recommended_batcher_and_keeps_comments(
    endpoint: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "isvc.yaml"
    manifest.write_text(MANIFEST)
    assert cli.main(_args(endpoint, manifest, "--target-p99-ms", "500")) == 0
    out = capsys.readouterr().out
    assert "| batch size | p50 ms | p99 ms |" in out
    assert "recommended: maxBatchSize 8" in out
    text = manifest.read_text()
    assert "# The iris classifier, tuned by hand once." in text
    assert "name: iris  # keep this name" in text
    assert "timeout: 60  # seconds" in text
    assert "maxBatchSize: 8" in text
    assert "maxLatency: " in text


def test_dry_run_leaves_the_file_alone(
    endpoint: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "isvc.yaml"
    manifest.write_text(MANIFEST)
    assert cli.main(_args(endpoint, manifest, "--target-p99-ms", "500", "--dry-run")) == 0
    out = capsys.readouterr().out
    assert "recommended: maxBatchSize 8" in out
    assert "not written (--dry-run)" in out
    assert manifest.read_text() == MANIFEST


def test_a_rate_that_one_request_at_a_time_serves_needs_no_batcher(
    endpoint: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "isvc.yaml"
    manifest.write_text(MANIFEST)
    assert cli.main(_args(endpoint, manifest, "--target-p99-ms", "500", "--rate", "5")) == 0
    assert "recommended: no batcher" in capsys.readouterr().out
    assert manifest.read_text() == MANIFEST


def test_an_unreachable_target_is_explained_with_the_evidence(
    endpoint: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "isvc.yaml"
    manifest.write_text(MANIFEST)
    assert cli.main(_args(endpoint, manifest, "--target-p99-ms", "0.01")) == 2
    captured = capsys.readouterr()
    assert "no batch size meets p99 0.01 ms" in captured.err
    assert "| 1 |" in captured.out
    assert manifest.read_text() == MANIFEST


@pytest.mark.parametrize(
    ("url", "extra", "manifest_text", "message"),
    [
        pytest.param("http://10.1.2.3:8080", [], MANIFEST, "--allow-remote", id="remote-endpoint"),
        pytest.param(None, ["--payload", "{"], MANIFEST, "not JSON", id="bad-payload"),
        pytest.param(None, [], "kind: ConfigMap\n", "holds no InferenceService", id="no-isvc"),
        pytest.param(None, [], MANIFEST + "---\n" + MANIFEST, "pick one with --name", id="two-isvcs"),
        pytest.param(None, ["--sizes", "0,4"], MANIFEST, "at least 1", id="bad-sizes"),
    ],
)
def test_refusals_name_the_problem(
    endpoint: str,
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
    url: str | None,
    extra: list[str],
    manifest_text: str,
    message: str,
) -> None:
    manifest = tmp_path / "isvc.yaml"
    manifest.write_text(manifest_text)
    args = _args(url or endpoint, manifest, "--target-p99-ms", "100")
    if "--payload" in extra:
        args[args.index("--payload") + 1] = extra[1]
    else:
        args += extra
    assert cli.main(args) == 2
    assert message in capsys.readouterr().err
    assert manifest.read_text() == manifest_text
