"""Tests for `modelplane get isvc` (modelplane.cli.get).

Covers: the cells computed as the CRD's printer columns define them (URL, Ready, prev/latest traffic and
revisions, empty cells for missing status), kubectl's short ages, column alignment and the NAMESPACE column, and
a one-line error without a kubeconfig. A `cluster` test stores an InferenceService with a canary status on the
local API server and checks that the output equals `kubectl get isvc`.
"""

from __future__ import annotations

import datetime
import json
import pathlib
import subprocess
import uuid

import pytest
from modelplane.api import crds
from modelplane.cli import __main__ as cli
from modelplane.cli import get

ROOT = pathlib.Path(__file__).resolve().parents[3]
NOW = datetime.datetime(2026, 1, 2, 12, 0, 0, tzinfo=datetime.UTC)
CANARY_STATUS = {
    "url": "http://flowers.default.example.com",
    "conditions": [{"type": "PredictorReady", "status": "True"}, {"type": "Ready", "status": "True"}],
    "components": {
        "predictor": {
            "traffic": [
                {"tag": "prev", "revisionName": "flowers-predictor-00001", "percent": 90},
                {"latestRevision": True, "revisionName": "flowers-predictor-00002", "percent": 10},
            ]
        }
    },
}


def item(name: str, *, namespace: str = "default", created: str = "2026-01-02T11:55:00Z", status: dict | None = None):
    obj = {"metadata": {"name": name, "namespace": namespace, "creationTimestamp": created}, "spec": {}}
    if status is not None:
        obj["status"] = status
    return obj


def test_row_of_a_canary() -> None:
    assert get.row_of(item("flowers", status=CANARY_STATUS), now=NOW) == (
        "flowers",
        "http://flowers.default.example.com",
        "True",
        "90",
        "10",
        "flowers-predictor-00001",
        "flowers-predictor-00002",
        "5m",
    )


def test_row_without_status_has_empty_cells() -> None:
    assert get.row_of(item("new"), now=NOW) == ("new", "", "", "", "", "", "", "5m")


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        pytest.param("2026-01-02T11:59:15Z", "45s", id="seconds"),
        pytest.param("2026-01-02T11:56:48Z", "3m12s", id="minutes-seconds"),
        pytest.param("2026-01-02T11:50:00Z", "10m", id="minutes"),
        pytest.param("2026-01-02T07:30:00Z", "4h30m", id="hours-minutes"),
        pytest.param("2026-01-01T12:00:00Z", "24h", id="hours"),
        pytest.param("2025-12-30T09:00:00Z", "3d3h", id="days-hours"),
        pytest.param("2025-11-03T12:00:00Z", "60d", id="days"),
        pytest.param("2023-01-02T12:00:00Z", "3y", id="years"),
        pytest.param("2026-01-02T12:00:30Z", "0s", id="clock-skew"),
    ],
)
def test_age_like_kubectl(created: str, expected: str) -> None:
    assert get.age(created, now=NOW) == expected


def test_table_aligns_columns_and_sorts() -> None:
    text = get.table(
        [item("b", namespace="x"), item("a", namespace="x", status=CANARY_STATUS)], now=NOW, with_namespace=True
    )
    lines = text.splitlines()
    assert lines[0].split() == ["NAMESPACE", *get.COLUMNS]
    assert [line.split()[1] for line in lines[1:]] == ["a", "b"]
    assert lines[0].index("URL") == lines[1].index("http://")


def test_missing_kubeconfig_is_one_line(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none.yaml"))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cli.main(["get", "isvc"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("modelplane get: cannot load a kubeconfig")
    assert "Traceback" not in err


@pytest.mark.cluster
def test_output_equals_kubectl(kube_cluster: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    kubectl = [str(ROOT / "bin" / "kubectl"), "--kubeconfig", str(kube_cluster)]
    for crd in crds.all_crds():
        subprocess.run(
            [*kubectl, "apply", "--server-side", "--force-conflicts", "--field-manager=modelplane-tests", "-f", "-"],
            input=json.dumps(crd),
            text=True,
            check=True,
            capture_output=True,
        )
    subprocess.run(
        [*kubectl, "wait", "--for=condition=Established", "--timeout=60s", "crd/inferenceservices.serving.kserve.io"],
        check=True,
        capture_output=True,
    )
    namespace = f"modelplane-get-test-{uuid.uuid4().hex[:6]}"
    subprocess.run([*kubectl, "create", "namespace", namespace], capture_output=True, check=True)
    manifest = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "flowers", "namespace": namespace},
        "spec": {"predictor": {"tensorflow": {"storageUri": "gs://b/flowers"}}},
    }
    try:
        subprocess.run(
            [*kubectl, "apply", "-f", "-"], input=json.dumps(manifest), text=True, check=True, capture_output=True
        )
        status = json.dumps({"status": CANARY_STATUS})
        subprocess.run(
            [
                *kubectl,
                "patch",
                "isvc",
                "flowers",
                "-n",
                namespace,
                "--subresource=status",
                "--type=merge",
                "-p",
                status,
            ],
            check=True,
            capture_output=True,
        )
        # A controller running against the same cluster may rewrite the status meanwhile: compare with kubectl's
        # view taken just before and just after, and retry until both agree.
        for _ in range(5):
            before = subprocess.run(
                [*kubectl, "get", "isvc", "-n", namespace], check=True, capture_output=True, text=True
            )
            assert cli.main(["get", "isvc", "-n", namespace]) == 0
            out = capsys.readouterr().out
            after = subprocess.run(
                [*kubectl, "get", "isvc", "-n", namespace], check=True, capture_output=True, text=True
            )
            if strip_age(before.stdout) == strip_age(after.stdout):
                break
        assert strip_age(out) == strip_age(after.stdout)
        assert len(out.splitlines()) == 2
    finally:
        subprocess.run([*kubectl, "delete", "namespace", namespace, "--wait=false"], capture_output=True, check=False)


def strip_age(table: str) -> list[str]:
    """The table without its AGE cells, which may tick over between two calls."""
    return [line.rsplit(None, 1)[0] for line in table.splitlines()]
