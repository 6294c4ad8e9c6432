"""Journey: a cluster admin's `helm test` of the installed platform release. The chart's test pod (the controller
image running `modelplane hook test-isvc` under its own ServiceAccount) creates a tiny InferenceService in the
release's namespace, waits until it is Ready and deletes it; `helm test` passes only if that worked. On the local
profile the model comes from the example model store, which this journey puts into the release's namespace
(hack/local-platform-values.yaml points `modelplane.test.storageUri` at it); on kind it is the chart's default,
KServe's published iris model."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

import pytest
from modelplane.devcluster import demoing

from e2e.conftest import KUBECTL, ROOT, kubectl

HELM = str(ROOT / "bin" / "helm")
RELEASE, RELEASE_NAMESPACE = "platform", "modelplane-system"  # as hack/local-platform.sh and hack/kind.sh install it


@pytest.fixture
def model_store(kubeconfig: str, ingress: str, profile: str) -> Iterator[None]:
    """The example model store, serving a freshly trained iris model, in the release's namespace (local only): the
    demo's own step, pointed at that namespace."""
    if profile != "local":
        yield
        return
    store = ROOT / "examples" / "model-store.yaml"
    demo = demoing.Demo(kubectl=KUBECTL, kubeconfig=kubeconfig, ingress=ingress, namespace=RELEASE_NAMESPACE)
    demo.store_model(store)
    yield
    kubectl(kubeconfig, "delete", "-n", RELEASE_NAMESPACE, "-f", str(store), "--wait=false", check=False)
    kubectl(kubeconfig, "delete", "configmap", "-n", RELEASE_NAMESPACE, demoing.STORE_CONFIGMAP, check=False)


def test_helm_test_deploys_a_tiny_inferenceservice_that_turns_ready(kubeconfig: str, model_store: None) -> None:
    command = [HELM, "--kubeconfig", kubeconfig, "test", RELEASE, "--namespace", RELEASE_NAMESPACE]
    result = subprocess.run(
        [*command, "--timeout", "10m"],
        capture_output=True,
        text=True,
        check=False,
        timeout=720,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert re.search(r"^Phase:\s+Succeeded$", report, re.MULTILINE), report
