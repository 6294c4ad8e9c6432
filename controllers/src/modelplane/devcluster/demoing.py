"""The walk-through `make demo` ends with: train the iris model, put it in the example model store, deploy
examples/sklearn-iris.yaml, wait for it with progress, and send a real V1 prediction through the ingress.

Every step talks to the cluster through `kubectl` (server-side apply, so re-running changes nothing that is
already right) and to the model through the ingress, as a user would. What it prints is computed by the pure
functions at the top, tested without a cluster.
"""

from __future__ import annotations

import base64
import io
import json
import pathlib
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from modelplane.devcluster import errors

IRIS = [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]
STORE_CONFIGMAP = "model-store"
STORE_KEY = "sklearn--iris--model.joblib"  # the file path sklearn/iris/model.joblib, `/` written `--`
FIELD_MANAGER = "modelplane-demo"


def condition_summary(isvc: Mapping[str, Any]) -> str:
    """The InferenceService's conditions in one line, the failing ones with their reason and message."""
    conditions = (isvc.get("status") or {}).get("conditions") or []
    if not conditions:
        return "no status yet (the controller has not reconciled it)"
    parts = []
    for condition in sorted(conditions, key=lambda c: (c.get("type") != "Ready", c.get("type", ""))):
        part = f"{condition.get('type')}={condition.get('status')}"
        if condition.get("status") != "True":
            detail = ": ".join(str(condition[k]) for k in ("reason", "message") if condition.get(k))
            part += f" ({detail})" if detail else ""
        parts.append(part)
    return ", ".join(parts)


def is_ready(isvc: Mapping[str, Any]) -> bool:
    """True when the InferenceService's Ready condition is True."""
    conditions = (isvc.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def host_of(url: str) -> str:
    """The host part of a status URL (`http://iris-default.example.com` -> `iris-default.example.com`)."""
    return url.split("://", 1)[-1].split("/", 1)[0]


def next_steps(*, name: str, namespace: str, host: str, ingress: str) -> str:
    """What the user can do next: their own V1 and V2 requests, and how to tear everything down."""
    kubectl = 'bin/kubectl --kubeconfig "$(make -s kubeconfig)"'
    v1 = json.dumps({"instances": IRIS})
    v2 = json.dumps(
        {"inputs": [{"name": "input-0", "shape": [2, 4], "datatype": "FP32", "data": [v for row in IRIS for v in row]}]}
    )
    return "\n".join(
        [
            "Send your own (the ingress picks the InferenceService by the Host header):",
            f"  curl -H 'Host: {host}' {ingress}/v1/models/{name}:predict -d '{v1}'",
            f"  curl -H 'Host: {host}' {ingress}/v2/models/{name}/infer -d '{v2}'",
            "Look around:",
            f"  {kubectl} -n {namespace} get isvc,deployments,pods,ingresses",
            f"  .venv/bin/modelplane dev-node logs -n {namespace} $({kubectl} -n {namespace} get pods"
            f" -l serving.kserve.io/inferenceservice={name} -o name | head -1 | cut -d/ -f2)",
            "Tear it all down (processes, cluster, files): make down",
        ]
    )


def iris_model() -> bytes:
    """A scikit-learn logistic regression trained on the iris data, as joblib bytes (what KServe's example holds)."""
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    x, y = load_iris(return_X_y=True)
    buffer = io.BytesIO()
    joblib.dump(LogisticRegression(max_iter=500).fit(x, y), buffer)
    return buffer.getvalue()


class Demo:
    """The demo's steps against one cluster (kubectl + kubeconfig) and its ingress address."""

    def __init__(
        self,
        *,
        kubectl: str,
        kubeconfig: str,
        ingress: str,
        namespace: str = "default",
        say: Callable[[str], None] = print,
    ) -> None:
        self.kubectl_path = kubectl
        self.kubeconfig = kubeconfig
        self.ingress = ingress.rstrip("/")
        self.namespace = namespace
        self.say = say
        self.started = time.monotonic()

    def log(self, text: str) -> None:
        self.say(f"[demo {time.monotonic() - self.started:5.1f}s] {text}")

    def kubectl(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [self.kubectl_path, "--kubeconfig", self.kubeconfig, "-n", self.namespace, *args],
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise errors.DevClusterError(f"kubectl {' '.join(args[:3])} failed: {done.stderr.strip()}")
        return done.stdout

    def apply(self, manifest: str) -> None:
        self.kubectl("apply", "--server-side", f"--field-manager={FIELD_MANAGER}", "-f", "-", stdin=manifest)

    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        text = self.kubectl("get", kind, name, "-o", "json", "--ignore-not-found")
        found: dict[str, Any] | None = json.loads(text) if text.strip() else None
        return found

    def store_model(self, store_manifest: pathlib.Path) -> None:
        """Train the model, put it into the model store's ConfigMap and wait for the store to serve it."""
        self.log("training the iris model (scikit-learn logistic regression)")
        configmap = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": STORE_CONFIGMAP, "labels": {"app.kubernetes.io/name": "model-store"}},
            "binaryData": {STORE_KEY: base64.b64encode(iris_model()).decode()},
        }
        self.apply(json.dumps(configmap))
        self.log(f"deploying the model store ({store_manifest.name})")
        self.apply(store_manifest.read_text())
        self.wait_for(
            "the model store",
            lambda: self._available("deployment", "model-store"),
            timeout=120,
        )

    def _available(self, kind: str, name: str) -> tuple[bool, str]:
        obj = self.get(kind, name) or {}
        status = obj.get("status") or {}
        want = (obj.get("spec") or {}).get("replicas", 1)
        ready = status.get("availableReplicas", 0)
        return ready >= want, f"{ready}/{want} replicas available"

    def deploy(self, example: pathlib.Path) -> str:
        """Apply the example InferenceService, wait until it is Ready, and return its name."""
        text = example.read_text()
        import yaml

        isvc = yaml.safe_load(text)
        name = str(isvc["metadata"]["name"])
        self.log(f"applying {example.name} (InferenceService {name})")
        self.apply(text)

        def ready() -> tuple[bool, str]:
            found = self.get("inferenceservice", name) or {}
            return is_ready(found), condition_summary(found)

        self.wait_for(f"InferenceService {name} to be Ready", ready, timeout=300)
        return name

    def wait_for(self, what: str, check: Callable[[], tuple[bool, str]], *, timeout: float) -> None:
        """Poll `check` every second, printing its summary whenever it changes; fail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        last = ""
        self.log(f"waiting for {what}")
        while True:
            done, summary = check()
            if summary != last:
                self.log(f"  {summary}")
                last = summary
            if done:
                return
            if time.monotonic() > deadline:
                raise errors.DevClusterError(f"{what}: not done after {timeout:.0f} s (last: {summary})")
            time.sleep(1.0)

    def predict(self, name: str, *, timeout: float = 60.0) -> tuple[str, int, str]:
        """Send the iris V1 request through the ingress; retry while the route or the model comes up (404, 502,
        503). Returns the InferenceService's URL, the HTTP status and the body."""
        isvc = self.get("inferenceservice", name) or {}
        url = str((isvc.get("status") or {}).get("url") or "")
        if not url:
            raise errors.DevClusterError(f"InferenceService {name} is Ready but has no status.url")
        request = urllib.request.Request(  # noqa: S310 - the ingress address the user gave (http://127.0.0.1 here)
            f"{self.ingress}/v1/models/{name}:predict",
            data=json.dumps({"instances": IRIS}).encode(),
            headers={"Host": host_of(url), "Content-Type": "application/json"},
        )
        deadline = time.monotonic() + timeout
        self.log(f"POST {self.ingress}/v1/models/{name}:predict (Host: {host_of(url)})")
        while True:
            try:
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the local ingress
                    return url, response.status, response.read().decode()
            except urllib.error.HTTPError as exc:
                status, body = exc.code, exc.read().decode(errors="replace")
            except OSError as exc:
                status, body = 0, str(exc)
            if status not in (0, 404, 502, 503) or time.monotonic() > deadline:
                return url, status, body
            time.sleep(1.0)
