"""Journey: the KFServing-era manifests of the seed paper (../shared/fixtures: v1alpha2 `default`, and `default` with
a 10% `canary`) keep working after `modelplane migrate`: each is rewritten to serving.kserve.io/v1beta1, accepted
and reconciled in the cluster's default deployment mode into a predictor running the TensorFlow Serving runtime
with the flowers model; once the first version has rolled out, the migrated canary splits the traffic 90/10
between it (`prev`) and the new one (`latest`).

The manifests name no deployment mode, so they follow the cluster's default: Serverless on the kind profile
(Knative Services, Knative's traffic split), RawDeployment on the local one (Deployments, a canary Deployment and
weighted routes). Their models come from gs://kfserving-samples and run on TensorFlow Serving, which the local
process node does not run (kwok simulates those pods); on the kind profile the cluster must reach Google Cloud
Storage.
"""

from __future__ import annotations

import pathlib

import yaml

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "shared" / "fixtures"
KSVC = "services.serving.knative.dev"


def migrated(modelplane, fixture: str) -> dict:
    done = modelplane("migrate", str(FIXTURES / fixture))
    assert done.returncode == 0, done.stderr
    manifest = yaml.safe_load(done.stdout)
    assert manifest["apiVersion"] == "serving.kserve.io/v1beta1"
    return manifest


def predictor_pod(journey) -> tuple[str, dict]:
    """The mode the predictor was made in ("Serverless" or "RawDeployment") and its pod template's spec."""

    def made() -> tuple[str, dict] | None:
        ksvc = journey.get(KSVC, "flowers-sample-predictor")
        if ksvc is not None:
            return "Serverless", ksvc["spec"]["template"]["spec"]
        deployment = journey.get("deployment", "flowers-sample-predictor")
        if deployment is not None:
            return "RawDeployment", deployment["spec"]["template"]["spec"]
        return None

    return journey.wait("the predictor (a Knative Service or a Deployment)", made)


def rolled_out(journey) -> str | None:
    status = (journey.get("inferenceservice", "flowers-sample") or {}).get("status") or {}
    return status.get("components", {}).get("predictor", {}).get("latestRolledoutRevision")


def test_migrated_default_is_served_by_tensorflow_serving(journey, modelplane) -> None:
    journey.apply(migrated(modelplane, "kfserving-flowers-v1alpha2.yaml"))
    _, pod = predictor_pod(journey)
    assert pod["containers"][0]["image"].startswith("tensorflow/serving")
    assert pod["initContainers"][0]["args"][0] == "gs://kfserving-samples/models/tensorflow/flowers"


def test_migrated_canary_splits_the_traffic_90_10(journey, modelplane) -> None:
    journey.apply(migrated(modelplane, "kfserving-flowers-v1alpha2.yaml"))
    mode, _ = predictor_pod(journey)
    if mode == "Serverless":
        journey.wait("the first revision to be rolled out", lambda: rolled_out(journey), timeout=600)
    else:
        journey.ready("flowers-sample")

    journey.apply(migrated(modelplane, "kfserving-flowers-canary-v1alpha2.yaml"))

    if mode == "Serverless":

        def split() -> list | None:
            traffic = (journey.get(KSVC, "flowers-sample-predictor") or {}).get("spec", {}).get("traffic") or []
            return traffic if len(traffic) == 2 else None

        traffic = journey.wait("the 90/10 split", split)
        assert {(t.get("tag"), t.get("revisionName"), t["percent"]) for t in traffic} == {
            ("latest", None, 10),
            ("prev", rolled_out(journey), 90),
        }
        canary = journey.get(KSVC, "flowers-sample-predictor")["spec"]["template"]["spec"]
    else:
        canary = journey.wait(
            "the canary Deployment", lambda: journey.get("deployment", "flowers-sample-predictor-canary")
        )["spec"]["template"]["spec"]

        def split() -> set | None:
            status = (journey.get("inferenceservice", "flowers-sample") or {}).get("status") or {}
            traffic = status.get("components", {}).get("predictor", {}).get("traffic") or []
            found = {(t.get("tag"), t.get("revisionName"), t.get("percent")) for t in traffic}
            return found if len(found) == 2 else None

        assert journey.wait("the 90/10 split", split) == {
            ("latest", "flowers-sample-predictor-canary", 10),
            ("prev", "flowers-sample-predictor", 90),
        }
    assert canary["initContainers"][0]["args"][0] == "gs://kfserving-samples/models/tensorflow/flowers-2"
