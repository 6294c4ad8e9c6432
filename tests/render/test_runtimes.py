"""Render tests of the modelplane chart's ClusterServingRuntimes, taken through the controller's own reconcile and,
where it matters, the real model server on 127.0.0.1.

Covers: every Modelplane runtime declares its HTTP port and a readiness probe whose path names no model (the
controller fills `{{.Name}}` into args and command only); the probe reaches the Deployment (RawDeployment) and the
Knative Service (Serverless) the controller builds from the rendered runtimes and ConfigMap; a single-model
server started with the rendered args answers the probe with 503 while its model loads and 200 once it is loaded
(shown with the `custom` runtime serving a user `model.py`); the multi-model runtime is chosen only when named, a
TrainedModel on it passes the controller's checks and its planned load (fetching the model's storage URI) makes the
model servable, and a failed TrainedModel load leaves the server's probe answering 200; the multi-model and
`custom` runtimes are switchable.
"""

from __future__ import annotations

import dataclasses
import pathlib
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.render

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOW = "2026-01-01T00:00:00Z"
MODELPLANE_RUNTIMES = {
    "modelplane-sklearn",
    "modelplane-xgboost",
    "modelplane-lightgbm",
    "modelplane-onnx",
    "modelplane-pytorch",
    "modelplane-custom",
    "modelplane-multimodel",
}
CUSTOM_MODEL = """
import pathlib
import time

from modelplane.runtime import model


class Doubler(model.Model):
    def load(self):
        # Loading takes until the test drops a `release` file beside this one.
        while not (self.model_dir / "release").exists():
            time.sleep(0.05)
        self.ready = True

    def predict(self, request):
        return {"predictions": [[2 * v for v in row] for row in request.inputs[0].data.tolist()]}
"""


def rendered(tools: Any, charts_dir: pathlib.Path, *args: str) -> list[dict[str, Any]]:
    return tools.helm_template(charts_dir / "modelplane", *args)


def runtimes_of(objs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objs if o["kind"] == "ClusterServingRuntime"}


def controller_config(objs: list[dict[str, Any]]) -> Any:
    from modelplane.reconcile import config

    cm = next(o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "inferenceservice-config")
    return config.from_configmap_data(cm["data"])


def isvc(model: dict[str, Any], *, mode: str) -> dict[str, Any]:
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {
            "name": "iris",
            "namespace": "models",
            "uid": "0",
            "generation": 1,
            "annotations": {"serving.kserve.io/deploymentMode": mode},
        },
        "spec": {"predictor": {"model": model}},
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError):
        return 0


def wait_for(what: str, check: Any, *, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def local_args(container: dict[str, Any], *, name: str, model_dir: pathlib.Path, port: int) -> list[str]:
    """The container's rendered args as the controller fills them in, moved onto 127.0.0.1 and a free port."""
    moved = {"--http_host": "127.0.0.1", "--http_port": str(port), "--grpc_port": "0", "--model_dir": str(model_dir)}
    args = []
    for arg in container["args"]:
        flag, _, value = arg.partition("=")
        args.append(f"{flag}={moved.get(flag, value.replace('{{.Name}}', name))}")
    return args


@pytest.fixture
def serve() -> Iterator[Any]:
    """Start `modelplane-runtime` with given args; stopped after the test."""
    started: list[subprocess.Popen[bytes]] = []

    def start(args: list[str]) -> None:
        started.append(
            subprocess.Popen(
                [sys.executable, "-m", "modelplane.runtime", *args],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=30)


def probe_url(container: dict[str, Any], port: int) -> str:
    probe = container["readinessProbe"]["httpGet"]
    assert probe["port"] == 8080
    return f"http://127.0.0.1:{port}{probe['path']}"


def test_modelplane_runtimes_declare_their_port_and_a_readiness_probe(tools: Any, charts_dir: pathlib.Path) -> None:
    runtimes = runtimes_of(rendered(tools, charts_dir))
    assert set(runtimes) >= MODELPLANE_RUNTIMES
    for name in MODELPLANE_RUNTIMES:
        container = runtimes[name]["spec"]["containers"][0]
        assert container["ports"] == [{"name": "http1", "containerPort": 8080, "protocol": "TCP"}], name
        assert "--http_port=8080" in container["args"], name
        probe = container["readinessProbe"]
        assert "{{" not in probe["httpGet"]["path"], name
        assert probe["httpGet"] == {"path": "/v2/health/ready", "port": 8080}, name
        assert (probe["periodSeconds"], probe["timeoutSeconds"], probe["failureThreshold"]) == (2, 2, 3), name


@pytest.mark.parametrize("mode", ["RawDeployment", "Serverless"])
def test_the_probe_reaches_the_pods_the_controller_builds(tools: Any, charts_dir: pathlib.Path, mode: str) -> None:
    from modelplane.reconcile import inferenceservice
    from modelplane.reconcile.observed import Observed

    objs = rendered(tools, charts_dir)
    model = {"modelFormat": {"name": "sklearn"}, "storageUri": "gs://models/iris"}
    plan = inferenceservice.reconcile(
        Observed(isvc=isvc(model, mode=mode), now=NOW, cluster_runtimes=tuple(runtimes_of(objs).values())),
        controller_config(objs),
    )
    kind = "Deployment" if mode == "RawDeployment" else "Service"
    child = next(c for c in plan.children if c["kind"] == kind and c["metadata"]["name"] == "iris-predictor")
    serving = child["spec"]["template"]["spec"]["containers"][0]
    assert serving["name"] == "kserve-container"
    assert "--model_format=sklearn" in serving["args"]
    assert serving["readinessProbe"]["httpGet"] == {"path": "/v2/health/ready", "port": 8080}
    assert serving["ports"][0]["containerPort"] == 8080


def test_a_single_model_server_is_ready_only_once_its_model_is_loaded(
    tools: Any, charts_dir: pathlib.Path, tmp_path: pathlib.Path, serve: Any
) -> None:
    container = runtimes_of(rendered(tools, charts_dir))["modelplane-custom"]["spec"]["containers"][0]
    assert "--model_format=custom" in container["args"]
    (tmp_path / "model.py").write_text(CUSTOM_MODEL)
    port = free_port()
    serve(local_args(container, name="doubler", model_dir=tmp_path, port=port))
    wait_for("the server to listen", lambda: status_of(f"http://127.0.0.1:{port}/v2/health/live") == 200)
    ready = probe_url(container, port)
    assert status_of(ready) == 503, "ready while the model is still loading"
    (tmp_path / "release").touch()
    wait_for("the probe to pass", lambda: status_of(ready) == 200)
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/models/doubler:predict",
        data=b'{"instances": [[1, 2], [3, 4]]}',
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.read() == b'{"predictions":[[2,4],[6,8]]}'


def test_the_multi_model_runtime_is_chosen_only_by_name(tools: Any, charts_dir: pathlib.Path) -> None:
    from modelplane.reconcile import runtimes

    cluster = tuple(runtimes_of(rendered(tools, charts_dir)).values())

    def chosen(model: dict[str, Any]) -> str:
        spec = runtimes.model_spec({"model": model})
        assert spec is not None
        return runtimes.select(model=spec, runtimes=(), cluster_runtimes=cluster).name

    assert chosen({"modelFormat": {"name": "sklearn"}}) == "modelplane-sklearn"
    assert chosen({"modelFormat": {"name": "custom"}}) == "modelplane-custom"
    assert chosen({"modelFormat": {"name": "sklearn"}, "runtime": "modelplane-multimodel"}) == "modelplane-multimodel"


def test_a_trained_model_loads_into_the_multi_model_runtime(
    tools: Any, charts_dir: pathlib.Path, tmp_path: pathlib.Path, serve: Any
) -> None:
    import joblib
    from modelplane.operator import loading
    from modelplane.reconcile import observed, trainedmodel
    from sklearn import linear_model

    runtime = runtimes_of(rendered(tools, charts_dir))["modelplane-multimodel"]
    assert runtime["spec"]["multiModel"] is True
    estimator = linear_model.LogisticRegression().fit([[0.0, 0.0], [1.0, 1.0]], [0, 1])
    models, store = tmp_path / "models", tmp_path / "store"
    for directory in (models, store / "extra", store / "broken"):
        directory.mkdir(parents=True)
    joblib.dump(estimator, models / "model.joblib")  # the parent's own model, where its storageUri lands
    joblib.dump(estimator, store / "extra" / "model.joblib")
    (store / "broken" / "model.joblib").write_bytes(b"not a model")

    container = runtime["spec"]["containers"][0]
    port = free_port()
    serve(local_args(container, name="iris", model_dir=models, port=port))
    base = f"http://127.0.0.1:{port}"
    ready = probe_url(container, port)
    wait_for("the probe to pass", lambda: status_of(ready) == 200)
    assert status_of(f"{base}/v2/models/iris/ready") == 200

    parent = isvc(
        {"modelFormat": {"name": "sklearn"}, "runtime": "modelplane-multimodel", "storageUri": "gs://m/base"},
        mode="RawDeployment",
    )
    parent["status"] = {"url": "http://iris-models.example.com", "conditions": [{"type": "Ready", "status": "True"}]}
    tm = {
        "metadata": {"name": "extra", "namespace": "models", "creationTimestamp": NOW, "uid": "1"},
        "spec": {
            "inferenceService": "iris",
            "model": {"framework": "sklearn", "storageUri": f"file://{store / 'extra'}", "memory": "256Mi"},
        },
    }
    # The controller loads into each ready replica of the predictor it observes: here, this one server.
    replica = observed.Replica(address=f"127.0.0.1:{port}")
    plan = trainedmodel.reconcile(
        observed.ObservedTrainedModel(
            trained_model=tm,
            now=NOW,
            parent=parent,
            siblings=(tm,),
            cluster_runtimes=(runtime,),
            replicas=(replica,),
        )
    )
    checks = {c["type"]: c["status"] for c in plan.status["conditions"]}
    assert all(checks[t] == "True" for t in ("IsMMSPredictor", "FrameworkSupported", "MemoryResourceAvailable"))
    (load,) = plan.model_loads
    assert load.url == f"{base}/v2/repository/models/extra/load"
    loading.perform(load)
    assert status_of(f"{base}/v2/models/extra/ready") == 200

    broken = dataclasses.replace(
        load,
        url=load.url.replace("/extra/", "/broken/"),
        model_name="broken",
        body={"parameters": {"storage_uri": f"file://{store / 'broken'}", "model_format": "sklearn"}},
    )
    with pytest.raises(loading.LoadError, match="broken"):
        loading.perform(broken)
    assert status_of(ready) == 200, "one failed load must not take the server out of its Service"
    assert status_of(f"{base}/v2/models/extra/ready") == 200


@pytest.mark.parametrize(
    ("setting", "gone"),
    [
        pytest.param("runtimes.modelplane.multiModel.enabled=false", "modelplane-multimodel", id="multi-model"),
        pytest.param(
            "runtimes.modelplane.formats={sklearn,xgboost,lightgbm,onnx,pytorch}", "modelplane-custom", id="custom"
        ),
    ],
)
def test_multi_model_and_custom_are_switchable(tools: Any, charts_dir: pathlib.Path, setting: str, gone: str) -> None:
    names = set(runtimes_of(rendered(tools, charts_dir, "--set", setting)))
    assert gone not in names
    assert names >= MODELPLANE_RUNTIMES - {gone}
