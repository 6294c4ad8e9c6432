"""InferenceServices for the scaling benchmark on a cluster: one Raw-mode InferenceService per replica count, each
with that many predictor pods, behind the cluster's ingress.

The benchmark's model goes into a ConfigMap served by a small file server in the benchmark's own namespace (the
runtime image carries Python), so the same objects work on the local control plane (pods run by the process node,
traffic through the local ingress) and on any cluster whose ingress is reachable. Replica counts are fixed
(`serving.kserve.io/autoscalerClass: none`, `minReplicas` = the count), so what is measured is the balancing over N
ready pods, not an autoscaler. Everything goes through `kubectl` with server-side apply; `manifests` is pure.
"""

from __future__ import annotations

import base64
import contextlib
import json
import pathlib
import subprocess
import time
from collections.abc import Iterator
from typing import Any

from modelplane.loadtest import errors, replicas

FIELD_MANAGER = "modelplane-loadtest"
STORE = "model-store"
RUNTIME_IMAGE = "modelplane/runtime:0.1.0"


def isvc_name(count: int) -> str:
    return f"scaling-{count}"


def manifests(*, model_file: str, model_bytes: bytes, counts: list[int]) -> list[dict[str, Any]]:
    """The model store (ConfigMap, file server pod, Service) and one InferenceService per replica count."""
    key = f"sklearn--{model_file}"
    labels = {"app": STORE}
    objects: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": STORE},
            "binaryData": {key: base64.b64encode(model_bytes).decode()},
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": STORE, "labels": labels},
            "spec": {
                "containers": [
                    {
                        "name": "files",
                        "image": RUNTIME_IMAGE,
                        # The pod's own address in a cluster (the process node makes it the pod's IP).
                        "command": ["python", "-m", "http.server", "8000", "--bind", "0.0.0.0", "--directory", "/m"],  # noqa: S104
                        "ports": [{"name": "http", "containerPort": 8000}],
                        "readinessProbe": {"tcpSocket": {"port": "http"}, "periodSeconds": 1},
                        "volumeMounts": [{"name": "models", "mountPath": "/m"}],
                    }
                ],
                "volumes": [
                    {
                        "name": "models",
                        "configMap": {"name": STORE, "items": [{"key": key, "path": f"sklearn/{model_file}"}]},
                    }
                ],
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": STORE},
            "spec": {"selector": labels, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
        },
    ]
    for count in counts:
        objects.append(
            {
                "apiVersion": "serving.kserve.io/v1beta1",
                "kind": "InferenceService",
                "metadata": {
                    "name": isvc_name(count),
                    "annotations": {
                        "serving.kserve.io/deploymentMode": "RawDeployment",
                        "serving.kserve.io/autoscalerClass": "none",
                    },
                },
                "spec": {
                    "predictor": {
                        "minReplicas": count,
                        "maxReplicas": count,
                        "model": {
                            "modelFormat": {"name": "sklearn"},
                            "storageUri": f"http://{STORE}/sklearn/{model_file}",
                        },
                    }
                },
            }
        )
    return objects


class Fleet:
    """The benchmark's namespace on one cluster: deploy, wait until every count has its ready pods, tear down."""

    def __init__(self, *, kubeconfig: pathlib.Path, namespace: str, kubectl: str = "kubectl") -> None:
        self.kubeconfig = kubeconfig
        self.namespace = namespace
        self.kubectl_path = kubectl

    def kubectl(self, *args: str, stdin: str | None = None, namespaced: bool = True) -> str:
        scope = ["--namespace", self.namespace] if namespaced else []
        command = [self.kubectl_path, "--kubeconfig", str(self.kubeconfig), *scope, *args]
        try:
            done = subprocess.run(command, input=stdin, capture_output=True, text=True, check=False, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise errors.InvalidRun(f"kubectl {' '.join(args[:2])} did not run: {exc}") from exc
        if done.returncode != 0:
            raise errors.InvalidRun(f"kubectl {' '.join(args[:2])} failed: {done.stderr.strip()}")
        return done.stdout

    def deploy(self, objects: list[dict[str, Any]]) -> None:
        """Create the namespace (if needed) and server-side apply the objects into it."""
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self.namespace}}
        self.kubectl("apply", "--server-side", f"--field-manager={FIELD_MANAGER}", "-f", "-",
                     stdin=json.dumps(namespace), namespaced=False)  # fmt: skip
        body = "\n".join(json.dumps(o) for o in objects)
        self.kubectl("apply", "--server-side", f"--field-manager={FIELD_MANAGER}", "-f", "-", stdin=body)

    def wait_ready(self, counts: list[int], *, timeout_s: float = 300.0) -> dict[int, str]:
        """Wait until each InferenceService is Ready with exactly its count of ready pods; return count -> host."""
        deadline = time.monotonic() + timeout_s
        hosts: dict[int, str] = {}
        for count in counts:
            name = isvc_name(count)
            watch = replicas.Watch(kubeconfig=self.kubeconfig, isvc=name, namespace=self.namespace)
            while True:
                isvc = json.loads(self.kubectl("get", "inferenceservice", name, "-o", "json"))
                status = isvc.get("status") or {}
                ready_condition = any(
                    c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or []
                )
                ready, total = replicas.poll(watch)
                if ready_condition and ready == count == total and status.get("url"):
                    hosts[count] = str(status["url"]).split("://", 1)[-1].split("/", 1)[0]
                    print(f"{name}: Ready with {ready} pods at {hosts[count]}", flush=True)
                    break
                if time.monotonic() > deadline:
                    raise errors.InvalidRun(
                        f"{name} is not Ready with {count} ready pods after {timeout_s:.0f} s "
                        f"(pods ready/total: {ready}/{total}); look at `kubectl -n {self.namespace} get isvc,pods`"
                    )
                time.sleep(1.0)
        return hosts

    def remove(self) -> None:
        self.kubectl("delete", "namespace", self.namespace, "--wait=false", "--ignore-not-found", namespaced=False)


@contextlib.contextmanager
def deployed(
    *, kubeconfig: pathlib.Path, namespace: str, model_file: pathlib.Path, counts: list[int], keep: bool
) -> Iterator[dict[int, str]]:
    """Deploy the fleet and yield count -> Host header once all are Ready; remove the namespace after, unless kept."""
    fleet = Fleet(kubeconfig=kubeconfig, namespace=namespace)
    fleet.deploy(manifests(model_file=model_file.name, model_bytes=model_file.read_bytes(), counts=counts))
    try:
        yield fleet.wait_ready(counts)
    finally:
        if not keep:
            fleet.remove()
