"""The end-to-end suite's fixtures: the cluster, the platform, a namespace per test with a model repository in it,
and on failure a dump of the controller's log, the namespace's events and the objects involved.

Run it with `make e2e` (the local profile: the local control plane, the process node, the local ingress and the
controller). Options: `--kubeconfig PATH`, `--ingress URL` (where Ingress/VirtualService hosts are served),
`--profile local|kind` (tests marked `kind` need Knative's and Istio's data plane and run only there), and
`--controller local|installed` (local: the suite runs `modelplane operator` itself; installed: a controller is
already running in the cluster, as after `helm install`).
"""

from __future__ import annotations

import base64
import functools
import io
import json
import os
import pathlib
import subprocess
import tarfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
KUBECTL = str(ROOT / "bin" / "kubectl")
MODELPLANE = str(ROOT / ".venv" / "bin" / "modelplane")
STATE = ROOT / ".cluster" / "e2e"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("modelplane e2e")
    group.addoption("--kubeconfig", default=os.environ.get("KUBECONFIG", ""), help="the cluster's kubeconfig")
    group.addoption("--ingress", default="http://127.0.0.1:8088", help="address of the cluster's ingress")
    group.addoption("--profile", choices=("local", "kind"), default="local", help="which data plane the cluster has")
    group.addoption(
        "--controller",
        choices=("local", "installed"),
        default="local",
        help="run the controller here or use the installed one",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "kind: needs Knative and Istio's data plane (profile kind only)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--profile") == "kind":
        return
    skip = pytest.mark.skip(
        reason="needs Knative and Istio's data plane: run with --profile kind (make kind-up kind-e2e)"
    )
    for item in items:
        if "kind" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def kubectl(kubeconfig: str, *args: str, check: bool = True) -> str:
    result = subprocess.run([KUBECTL, "--kubeconfig", kubeconfig, *args], capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"kubectl {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


@pytest.fixture(scope="session")
def kubeconfig(request: pytest.FixtureRequest) -> str:
    path = request.config.getoption("--kubeconfig")
    if not path:
        path = subprocess.run(
            [str(ROOT / "hack" / "cluster.sh"), "kubeconfig"], capture_output=True, text=True, check=True
        ).stdout.strip()
    if not pathlib.Path(path).is_file():
        pytest.fail(f"no kubeconfig at {path!r}: start the cluster (make cluster-up) or pass --kubeconfig")
    return path


@pytest.fixture(scope="session")
def api(kubeconfig: str) -> Any:
    from kubernetes import config

    return config.new_client_from_config(config_file=kubeconfig)


@pytest.fixture(scope="session")
def profile(request: pytest.FixtureRequest) -> str:
    """`local` or `kind`: which data plane the cluster has."""
    return str(request.config.getoption("--profile"))


@pytest.fixture(scope="session")
def ingress(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--ingress")).rstrip("/")


@pytest.fixture(scope="session")
def controller(request: pytest.FixtureRequest, kubeconfig: str) -> Iterator[pathlib.Path | None]:
    """The controller: started here for `--controller local` (its log is returned), else the installed one."""
    if request.config.getoption("--controller") == "installed":
        yield None
        return
    STATE.mkdir(parents=True, exist_ok=True)
    log = STATE / "operator.log"
    env = {**os.environ, "KUBECONFIG": kubeconfig}
    with log.open("ab") as out:
        process = subprocess.Popen(
            [MODELPLANE, "operator", "--register-webhook", "--webhook-port", "19555", "--health-port", "18081"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while "watching children" not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the controller did not start; its log:\n{log.read_text()[-3000:]}")
        time.sleep(0.5)
    yield log
    process.terminate()
    process.wait(timeout=30)


def _dump(kubeconfig: str, namespace: str, controller_log: pathlib.Path | None, profile: str) -> str:
    parts = [f"===== e2e failure dump for namespace {namespace} ====="]
    if controller_log is not None and controller_log.exists():
        parts += ["----- controller log (last 60 lines) -----", *controller_log.read_text().splitlines()[-60:]]
    parts += [
        "----- events -----",
        kubectl(kubeconfig, "-n", namespace, "get", "events", "--sort-by=.lastTimestamp", check=False),
    ]
    kinds = "inferenceservices,trainedmodels,deployments,services,pods,ingresses,horizontalpodautoscalers"
    parts += ["----- objects -----", kubectl(kubeconfig, "-n", namespace, "get", kinds, "-o", "yaml", check=False)]
    parts += [kubectl(kubeconfig, "-n", namespace, "get", "virtualservices,httproutes", "-o", "yaml", check=False)]
    if profile == "local":
        pods = kubectl(kubeconfig, "-n", namespace, "get", "pods", "-o", "name", check=False).split()
        for pod in pods:
            name = pod.split("/", 1)[-1]
            spec = json.loads(
                kubectl(kubeconfig, "-n", namespace, "get", "pod", name, "-o", "json", check=False) or "{}"
            )
            for container in [
                c["name"]
                for c in spec.get("spec", {}).get("initContainers", []) + spec.get("spec", {}).get("containers", [])
            ]:
                logs = subprocess.run(
                    [MODELPLANE, "dev-node", "logs", name, "-n", namespace, "-c", container],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                parts += [f"----- log of {name}/{container} -----", (logs.stdout or logs.stderr)[-3000:]]
    return "\n".join(parts)


@pytest.fixture
def namespace(request: pytest.FixtureRequest, kubeconfig: str, controller: pathlib.Path | None) -> Iterator[str]:
    """A fresh namespace for one journey; dumped on failure, deleted afterwards."""
    name = f"e2e-{request.node.name[5:25].replace('_', '-').strip('-').lower()}-{uuid.uuid4().hex[:4]}"
    kubectl(kubeconfig, "create", "namespace", name)
    yield name
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        print(_dump(kubeconfig, name, controller, request.config.getoption("--profile")))
    kubectl(kubeconfig, "delete", "namespace", name, "--wait=false", check=False)


IRIS = [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]


# A user's own model: a linear scorer whose weights it reads in load(), as KServe's custom-model examples do.
CUSTOM_MODEL = """
import json

import numpy as np

from modelplane.runtime import model


class WeightedSum(model.Model):
    def load(self):
        weights = json.loads((self.model_dir / "weights.json").read_text())
        self.weights = np.asarray(weights["weights"], dtype=np.float64)
        self.bias = float(weights["bias"])
        self.ready = True

    def predict(self, request):
        rows = np.asarray(request.inputs[0].data, dtype=np.float64)
        return (rows @ self.weights + self.bias).tolist()
"""
CUSTOM_WEIGHTS = {"weights": [1.0, 0.5, -1.0, 2.0], "bias": 0.25}


@functools.cache
def models() -> dict[str, bytes]:
    """The model repository's files (path -> bytes), trained once per session on the iris data:
    `iris/model.joblib` (scikit-learn logistic regression), `iris-constant-2/model.joblib` (always answers 2, to tell
    versions apart), `xgboost/model.json` and `lightgbm/model.txt` (regressors), `onnx/model.onnx` (the logistic
    regression converted by skl2onnx), and `custom/model.tar.gz` (a user's own model class, CUSTOM_MODEL, beside its
    weights: an archive, since an HTTP storage URI names one file)."""
    import joblib
    import lightgbm
    import numpy as np
    import xgboost
    from skl2onnx import to_onnx
    from sklearn.datasets import load_iris
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression

    data = load_iris()
    x, y = data.data.astype(np.float32), data.target
    files: dict[str, bytes] = {}
    for path, model in (
        ("iris/model.joblib", LogisticRegression(max_iter=500).fit(x, y)),
        ("iris-constant-2/model.joblib", DummyClassifier(strategy="constant", constant=2).fit(x, y)),
    ):
        buffer = io.BytesIO()
        joblib.dump(model, buffer)
        files[path] = buffer.getvalue()
    booster = xgboost.train({"objective": "reg:squarederror", "max_depth": 2}, xgboost.DMatrix(x, label=y), 5)
    files["xgboost/model.json"] = bytes(booster.save_raw("json"))
    gbm = lightgbm.train({"objective": "regression", "num_leaves": 4, "verbose": -1}, lightgbm.Dataset(x, label=y), 5)
    files["lightgbm/model.txt"] = gbm.model_to_string().encode()
    onnx_model = to_onnx(LogisticRegression(max_iter=500).fit(x, y), x[:1], options={"zipmap": False})
    files["onnx/model.onnx"] = onnx_model.SerializeToString()
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        for name, data in (("model.py", CUSTOM_MODEL.encode()), ("weights.json", json.dumps(CUSTOM_WEIGHTS).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    files["custom/model.tar.gz"] = archive.getvalue()
    return files


def expected(path: str) -> list[float]:
    """What the regressors of the repository predict for IRIS (computed here, from the same bytes)."""
    import lightgbm
    import numpy as np
    import xgboost

    x = np.asarray(IRIS, dtype=np.float32)
    if path.startswith("xgboost/"):
        booster = xgboost.Booster()
        booster.load_model(bytearray(models()[path]))
        return [float(v) for v in booster.inplace_predict(x)]
    if path.startswith("lightgbm/"):
        return [float(v) for v in lightgbm.Booster(model_str=models()[path].decode()).predict(x)]
    raise ValueError(f"no expectation for {path}")


@pytest.fixture(scope="session")
def framework_predictions() -> Callable[[str], list[float]]:
    """`expected`: what a repository regressor predicts for IRIS, computed by its framework here."""
    return expected


@pytest.fixture
def model_repository(kubeconfig: str, namespace: str) -> str:
    """An HTTP model repository inside the namespace: a file server pod behind the Service `models`, serving the
    files of `models()` from a ConfigMap. Returns the base URL storage URIs start with."""
    files = models()
    keys = {path: path.replace("/", "--") for path in files}
    manifests = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "models"},
            "binaryData": {keys[p]: base64.b64encode(data).decode() for p, data in files.items()},
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "models", "labels": {"app": "models"}},
            "spec": {
                "containers": [
                    {
                        "name": "files",
                        "image": "modelplane/runtime:0.1.0",
                        "command": [
                            "python",
                            "-m",
                            "http.server",
                            "8000",
                            "--bind",
                            "0.0.0.0",
                            "--directory",
                            "/models",
                        ],
                        "ports": [{"name": "http", "containerPort": 8000}],
                        "readinessProbe": {"tcpSocket": {"port": "http"}, "periodSeconds": 1},
                        "volumeMounts": [{"name": "models", "mountPath": "/models"}],
                    }
                ],
                "volumes": [
                    {
                        "name": "models",
                        "configMap": {"name": "models", "items": [{"key": k, "path": p} for p, k in keys.items()]},
                    }
                ],
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "models"},
            "spec": {"selector": {"app": "models"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
        },
    ]
    apply(kubeconfig, namespace, *manifests)
    kubectl(kubeconfig, "-n", namespace, "wait", "--for=condition=Ready", "pod/models", "--timeout=90s")
    return f"http://models.{namespace}.svc.cluster.local"


def apply(kubeconfig: str, namespace: str, *objects: dict[str, Any]) -> None:
    data = "\n---\n".join(json.dumps(o) for o in objects)
    result = subprocess.run(
        [KUBECTL, "--kubeconfig", kubeconfig, "-n", namespace, "apply", "-f", "-"],
        input=data,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"kubectl apply failed: {result.stderr.strip()}")


def wait_until(what: str, check: Callable[[], Any], *, timeout: float = 180.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(1.0)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


class Journey:
    """What a journey does with the cluster: apply objects, read them, wait for readiness, send predictions."""

    def __init__(self, *, kubeconfig: str, namespace: str, ingress: str) -> None:
        self.kubeconfig = kubeconfig
        self.namespace = namespace
        self.ingress = ingress

    def apply(self, *objects: dict[str, Any]) -> None:
        apply(self.kubeconfig, self.namespace, *objects)

    def wait(self, what: str, check: Callable[[], Any], *, timeout: float = 180.0) -> Any:
        return wait_until(what, check, timeout=timeout)

    @staticmethod
    def isvc(name: str, predictor: dict[str, Any], *, mode: str = "RawDeployment", **spec: Any) -> dict[str, Any]:
        """An InferenceService in deployment mode `mode` with this predictor (and other components in `spec`)."""
        return {
            "apiVersion": "serving.kserve.io/v1beta1",
            "kind": "InferenceService",
            "metadata": {"name": name, "annotations": {"serving.kserve.io/deploymentMode": mode}},
            "spec": {"predictor": predictor, **spec},
        }

    @staticmethod
    def sklearn(
        name: str, storage_uri: str, *, model_format: str = "sklearn", mode: str = "RawDeployment", **predictor: Any
    ) -> dict[str, Any]:
        """An InferenceService serving a `model_format` model (scikit-learn by default) from `storage_uri`."""
        model = {"model": {"modelFormat": {"name": model_format}, "storageUri": storage_uri}}
        return Journey.isvc(name, {**model, **predictor}, mode=mode)

    def kubectl(self, *args: str, check: bool = True) -> str:
        return kubectl(self.kubeconfig, "-n", self.namespace, *args, check=check)

    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        text = self.kubectl("get", kind, name, "-o", "json", "--ignore-not-found", check=False)
        return json.loads(text) if text.strip() else None

    def names(self, kind: str) -> list[str]:
        return [n.split("/", 1)[-1] for n in self.kubectl("get", kind, "-o", "name").split()]

    def routes(self) -> list[str]:
        """The names of the route objects in the namespace (Ingress, VirtualService, HTTPRoute: whichever kinds the
        cluster serves), as `kind/name`."""
        found: list[str] = []
        for kind in ("ingresses.networking.k8s.io", "virtualservices.networking.istio.io", "httproutes"):
            listed = subprocess.run(
                [KUBECTL, "--kubeconfig", self.kubeconfig, "-n", self.namespace, "get", kind, "-o", "name"],
                capture_output=True,
                text=True,
                check=False,
            )
            if listed.returncode == 0:
                found += listed.stdout.split()
            elif "the server doesn't have a resource type" not in listed.stderr:
                raise RuntimeError(f"kubectl get {kind} failed: {listed.stderr.strip()}")
        return found

    def serving(self, service: str, *, timeout: float = 180.0) -> None:
        """Wait until the Service's EndpointSlices list a ready endpoint: a pod turning Ready reaches its Services'
        routing only after that, so a client started on pod readiness alone can meet a Service with no backend."""

        def check() -> bool:
            text = self.kubectl("get", "endpointslices", "-l", f"kubernetes.io/service-name={service}", "-o", "json")
            slices = json.loads(text)["items"]
            return any(
                (endpoint.get("conditions") or {}).get("ready")
                for piece in slices
                for endpoint in piece.get("endpoints") or []
            )

        wait_until(f"Service {service} to have a ready endpoint", check, timeout=timeout)

    def completed(self, pod: str, *, timeout: float = 180.0) -> None:
        """Wait for a run-once pod to succeed; fail at once, with its log, when it fails."""

        def check() -> str:
            phase = str(((self.get("pod", pod) or {}).get("status") or {}).get("phase") or "")
            if phase == "Failed":
                pytest.fail(f"pod {pod} failed:\n{self.kubectl('logs', pod, check=False)}")
            return phase if phase == "Succeeded" else ""

        wait_until(f"pod {pod} to succeed", check, timeout=timeout)

    def ready(self, name: str, *, timeout: float = 240.0) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            isvc = self.get("inferenceservice", name) or {}
            conditions = (isvc.get("status") or {}).get("conditions") or []
            return isvc if any(c["type"] == "Ready" and c["status"] == "True" for c in conditions) else None

        return wait_until(f"InferenceService {name} to be Ready", check, timeout=timeout)

    def host(self, name: str) -> str:
        isvc = self.get("inferenceservice", name) or {}
        url = str((isvc.get("status") or {}).get("url") or "")
        if not url:
            pytest.fail(f"InferenceService {name} has no status.url")
        return url.split("://", 1)[-1].split("/", 1)[0]

    def post(self, name: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """POST `body` as JSON to `path` on the InferenceService's host through the ingress: (status, JSON body)."""
        return self.post_to(self.host(name), path, body)

    def post_to(self, host: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """POST `body` as JSON to `path` with this Host header through the ingress: (status, JSON body)."""
        request = urllib.request.Request(
            self.ingress + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Host": host},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            text = error.read()
            try:
                return error.code, json.loads(text)
            except ValueError:
                return error.code, {"error": text.decode(errors="replace")}

    def answered(
        self, name: str, path: str, body: dict[str, Any], *, timeout: float = 60.0
    ) -> tuple[int, dict[str, Any]]:
        """The first answer that is not 502/503/404, retrying while the route or the model is still coming up."""
        seen: list[tuple[int, dict[str, Any]]] = []

        def check() -> tuple[int, dict[str, Any]] | None:
            status, answer = self.post(name, path, body)
            seen[:] = [(status, answer)]
            return None if status in (404, 502, 503) else (status, answer)

        found: tuple[int, dict[str, Any]] | None = None
        deadline = time.monotonic() + timeout
        while found is None and time.monotonic() < deadline:
            found = check()
            if found is None:
                time.sleep(1.0)
        if found is None:
            pytest.fail(f"{path} on {name} did not answer within {timeout:.0f} s; last answer: {seen}")
        return found


@pytest.fixture(scope="session")
def modelplane() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Runs the `modelplane` CLI of the venv with the given arguments (and `input=` text), capturing its output."""

    def run(*args: str, input: str | None = None, timeout: float = 400) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [MODELPLANE, *args], input=input, capture_output=True, text=True, check=False, timeout=timeout
        )

    return run


@pytest.fixture
def journey(kubeconfig: str, namespace: str, ingress: str) -> Journey:
    return Journey(kubeconfig=kubeconfig, namespace=namespace, ingress=ingress)
