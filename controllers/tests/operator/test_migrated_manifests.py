"""The KFServing-era manifests in the shared fixtures, migrated by `modelplane migrate`, against the real cluster.

Covers: each fixture (v1alpha2 `default`, v1alpha2 `default` + 10% `canary`, v1beta1 with replica bounds) is
rewritten to serving.kserve.io/v1beta1, accepted by the API server and the webhook, and reconciled into a Knative
Service; rolling out `default` and then applying the migrated canary makes the Knative traffic a 90/10 split between
the previously rolled-out revision and the latest one.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.cluster

FIXTURES = pathlib.Path(__file__).resolve().parents[4] / "shared" / "fixtures"
KSVC = "services.serving.knative.dev"


def _migrated(fixture: str, *, namespace: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "modelplane.cli", "migrate", str(FIXTURES / fixture)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    manifest = yaml.safe_load(result.stdout)
    assert manifest["apiVersion"] == "serving.kserve.io/v1beta1"
    manifest["metadata"]["namespace"] = namespace
    return yaml.safe_dump(manifest)


@pytest.mark.parametrize(
    ("fixture", "name"),
    [
        pytest.param("kfserving-flowers-v1alpha2.yaml", "flowers-sample", id="v1alpha2-default"),
        pytest.param("kfserving-flowers-canary-v1alpha2.yaml", "flowers-sample", id="v1alpha2-canary"),
        pytest.param("kfserving-v1beta1-autoscaled.yaml", "my-model-service", id="v1beta1-autoscaled"),
    ],
)
def test_migrated_fixture_is_accepted_and_reconciled(fixture: str, name: str, namespace: str, kube: Any) -> None:
    applied = kube.apply(_migrated(fixture, namespace=namespace))
    assert applied.returncode == 0, applied.stderr
    ksvc = kube.wait_for("the Knative Service", lambda: kube.get(KSVC, f"{name}-predictor", namespace=namespace))
    assert ksvc["spec"]["template"]["spec"]["containers"][0]["image"].startswith("tensorflow/serving")


def test_migrated_canary_becomes_a_90_10_split(namespace: str, kube: Any) -> None:
    assert kube.apply(_migrated("kfserving-flowers-v1alpha2.yaml", namespace=namespace)).returncode == 0
    kube.wait_for("the Knative Service", lambda: kube.get(KSVC, "flowers-sample-predictor", namespace=namespace))
    kube.mark_knative_ready("flowers-sample-predictor", namespace=namespace, revision="flowers-sample-predictor-00001")
    kube.wait_for(
        "the first revision to be recorded as rolled out",
        lambda: (
            ((kube.get("inferenceservice", "flowers-sample", namespace=namespace) or {}).get("status") or {})
            .get("components", {})
            .get("predictor", {})
            .get("latestRolledoutRevision")
            == "flowers-sample-predictor-00001"
        ),
    )

    assert kube.apply(_migrated("kfserving-flowers-canary-v1alpha2.yaml", namespace=namespace)).returncode == 0

    def split() -> list[dict[str, Any]] | None:
        traffic = (kube.get(KSVC, "flowers-sample-predictor", namespace=namespace) or {})["spec"]["traffic"]
        return traffic if len(traffic) == 2 else None

    traffic = kube.wait_for("a canary split", split)
    assert {(t.get("tag"), t.get("revisionName"), t["percent"]) for t in traffic} == {
        ("latest", None, 10),
        ("prev", "flowers-sample-predictor-00001", 90),
    }
