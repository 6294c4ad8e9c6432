"""The local control plane that hack/cluster.sh starts is a real Kubernetes control plane.

Covers: the server reports the pinned release; CRD structural-schema validation (a bad object is rejected with
the field named, a good one is stored); the controller-manager turns a Deployment into a ReplicaSet whose pods
the scheduler binds to kwok nodes; deleting the owner garbage-collects its children; `cluster.sh up` is idempotent.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.cluster

ROOT = pathlib.Path(__file__).resolve().parents[2]
KUBECTL = str(ROOT / "bin" / "kubectl")


def kubectl(kubeconfig: pathlib.Path, *args: str, stdin: str | None = None, check: bool = True) -> str:
    done = subprocess.run(
        [KUBECTL, "--kubeconfig", str(kubeconfig), *args], input=stdin, capture_output=True, text=True, check=False
    )
    if check and done.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)} failed: {done.stderr}")
    return done.stdout if check else done.stdout + done.stderr


def eventually(what: str, probe: Callable[[], Any], *, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.5)


@pytest.fixture
def namespace(kube_cluster: pathlib.Path) -> Iterator[str]:
    name = f"cluster-test-{uuid.uuid4().hex[:8]}"
    kubectl(kube_cluster, "create", "namespace", name)
    yield name
    kubectl(kube_cluster, "delete", "namespace", name, "--wait=false")


def test_server_reports_the_pinned_release(kube_cluster: pathlib.Path) -> None:
    version = json.loads(kubectl(kube_cluster, "version", "-o", "json"))
    assert version["serverVersion"]["gitVersion"].startswith("v1.34.")
    assert version["clientVersion"]["gitVersion"] == version["serverVersion"]["gitVersion"]


WIDGET_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.test.modelplane.dev"},
    "spec": {
        "group": "test.modelplane.dev",
        "names": {"kind": "Widget", "plural": "widgets", "singular": "widget"},
        "scope": "Namespaced",
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "required": ["replicas"],
                                "properties": {"replicas": {"type": "integer", "minimum": 0, "maximum": 10}},
                            }
                        },
                    }
                },
            }
        ],
    },
}


@pytest.fixture
def widget_crd(kube_cluster: pathlib.Path) -> Iterator[None]:
    """The Widget CRD, established; removed afterwards (it is cluster-wide) so the shared cluster keeps nothing."""
    kubectl(kube_cluster, "apply", "--server-side", "-f", "-", stdin=json.dumps(WIDGET_CRD))
    try:
        kubectl(kube_cluster, "wait", "--for=condition=Established", "crd/widgets.test.modelplane.dev", "--timeout=30s")
        yield
    finally:
        kubectl(kube_cluster, "delete", "crd", "widgets.test.modelplane.dev", "--wait=false", check=False)


def test_crd_schema_rejects_bad_objects_and_stores_good_ones(
    kube_cluster: pathlib.Path, namespace: str, widget_crd: None
) -> None:
    def widget(name: str, replicas: object) -> str:
        return json.dumps(
            {
                "apiVersion": "test.modelplane.dev/v1",
                "kind": "Widget",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {"replicas": replicas},
            }
        )

    rejected = kubectl(kube_cluster, "apply", "--server-side", "-f", "-", stdin=widget("bad", 11), check=False)
    assert "spec.replicas" in rejected
    assert "should be less than or equal to 10" in rejected
    wrong_type = kubectl(kube_cluster, "apply", "--server-side", "-f", "-", stdin=widget("worse", "two"), check=False)
    assert "spec.replicas" in wrong_type

    kubectl(kube_cluster, "apply", "--server-side", "-f", "-", stdin=widget("good", 3))
    stored = json.loads(kubectl(kube_cluster, "-n", namespace, "get", "widget", "good", "-o", "json"))
    assert stored["spec"] == {"replicas": 3}
    assert "bad" not in kubectl(kube_cluster, "-n", namespace, "get", "widgets", "-o", "name")


DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "replicas": 3,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [{"name": "web", "image": "example.invalid/web:1"}],
                "tolerations": [{"key": "kwok.x-k8s.io/node", "operator": "Exists", "effect": "NoSchedule"}],
            },
        },
    },
}


def test_deployment_pods_are_scheduled_and_garbage_collected(kube_cluster: pathlib.Path, namespace: str) -> None:
    kubectl(kube_cluster, "-n", namespace, "apply", "-f", "-", stdin=json.dumps(DEPLOYMENT))

    def running_pods() -> list[dict[str, Any]]:
        pods = json.loads(kubectl(kube_cluster, "-n", namespace, "get", "pods", "-l", "app=web", "-o", "json"))
        ready = [p for p in pods["items"] if p["status"].get("phase") == "Running" and p["spec"].get("nodeName")]
        return ready if len(ready) == 3 else []

    pods = eventually("3 running pods", running_pods)
    assert {p["spec"]["nodeName"] for p in pods} <= {"kwok-node-0", "kwok-node-1"}
    owners = {ref["kind"] for p in pods for ref in p["metadata"]["ownerReferences"]}
    assert owners == {"ReplicaSet"}
    replicasets = json.loads(kubectl(kube_cluster, "-n", namespace, "get", "replicasets", "-o", "json"))["items"]
    assert [rs["metadata"]["ownerReferences"][0]["name"] for rs in replicasets] == ["web"]

    kubectl(kube_cluster, "-n", namespace, "delete", "deployment", "web", "--wait=false")

    def children_gone() -> bool:
        left = kubectl(kube_cluster, "-n", namespace, "get", "replicasets,pods", "-o", "name")
        return left.strip() == ""

    eventually("the ReplicaSet and pods to be garbage-collected", children_gone)


def test_cluster_up_is_idempotent(kube_cluster: pathlib.Path) -> None:
    again = subprocess.run([str(ROOT / "hack" / "cluster.sh"), "up"], capture_output=True, text=True, check=True)
    assert "already running" in again.stdout
