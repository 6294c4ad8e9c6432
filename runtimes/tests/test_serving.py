"""The server as users run it (`python -m modelplane.runtime`) against real clients nobody here wrote.

Covers: sklearn iris over V1 with plain HTTP and the kserve SDK's REST client (V1 and V2), tritonclient.http with
binary tensors both ways and JSON, tritonclient.grpc and the kserve SDK's gRPC client (each in its own process),
Prometheus metrics, the body-size limit, payload logging to a CloudEvents sink, the repository extension (load and
unload a second model at run time, a model that fails to load and what readiness says then), and SIGTERM shutdown,
all against one iris server (started once for the module, in file order: the SIGTERM test comes last); and BYTES
(any byte value), FP16 and BOOL inputs and outputs through tritonclient.http (binary and JSON) and tritonclient.grpc,
against a second server whose custom model changes each of them."""

from __future__ import annotations

import asyncio
import json
import pathlib
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import joblib
import numpy as np
import pytest
import tritonclient.http as triton_http
from kserve import InferenceRESTClient, InferInput, InferRequest, RESTConfig
from sklearn.tree import DecisionTreeClassifier

from runtimes.tests.conftest import metric

CLIENTS = pathlib.Path(__file__).parent / "clients"
IRIS_INSTANCES = [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]
BODY_LIMIT = 4096
Server = Any  # conftest.Server: a started server process with its ports and log


class _Sink(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        body = self.rfile.read(length)
        type(self).received.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
        self.send_response(202)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture(scope="module")
def sink() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    _Sink.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", _Sink.received
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def model_root(
    tmp_path_factory: pytest.TempPathFactory, iris_dir: pathlib.Path, iris: tuple[np.ndarray, np.ndarray]
) -> pathlib.Path:
    """iris at the top (the served model), a decision tree and a broken file in subfolders (loaded at run time)."""
    root = tmp_path_factory.mktemp("models")
    (root / "model.joblib").write_bytes((iris_dir / "model.joblib").read_bytes())
    (root / "tree").mkdir()
    joblib.dump(DecisionTreeClassifier(random_state=0).fit(*iris), root / "tree" / "model.joblib")
    (root / "broken").mkdir()
    (root / "broken" / "model.joblib").write_bytes(b"not a pickle")
    return root


@pytest.fixture(scope="module")
def iris_server(
    start_module_server: Callable[..., Server], model_root: pathlib.Path, sink: tuple[str, list[dict[str, Any]]]
) -> Server:
    return start_module_server(
        "--model_name", "iris", "--model_dir", str(model_root), "--max_body_bytes", str(BODY_LIMIT),
        "--logger_url", sink[0], "--logger_mode", "all", "--isvc_name", "sklearn-iris", "--isvc_namespace", "default",
    )  # fmt: skip


def test_v1_predict_iris(iris_server: Server) -> None:
    reply = httpx.post(iris_server.url + "/v1/models/iris:predict", json={"instances": IRIS_INSTANCES})
    assert reply.status_code == 200
    assert reply.json() == {"predictions": [1, 1]}
    assert httpx.get(iris_server.url + "/v1/models/iris").json() == {"name": "iris", "ready": True}
    assert httpx.get(iris_server.url + "/v1/models").json() == {"models": ["iris"]}


def test_kserve_rest_client_v1_and_v2(iris_server: Server) -> None:
    async def run() -> tuple[Any, Any]:
        async with InferenceRESTClient(RESTConfig(protocol="v1")) as client:
            v1 = await client.infer(iris_server.url, {"instances": IRIS_INSTANCES}, model_name="iris")
            assert await client.is_server_live(iris_server.url)
        async with InferenceRESTClient(RESTConfig(protocol="v2")) as client:
            data = np.array(IRIS_INSTANCES, dtype=np.float64)
            infer_input = InferInput(name="input-0", shape=list(data.shape), datatype="FP64")
            infer_input.set_data_from_numpy(data, binary_data=True)
            v2 = await client.infer(
                iris_server.url,
                InferRequest(model_name="iris", infer_inputs=[infer_input], request_id="r-1"),
                model_name="iris",
            )
            assert await client.is_model_ready(iris_server.url, "iris")
        return v1, v2

    v1, v2 = asyncio.run(run())
    assert v1 == {"predictions": [1, 1]}
    assert v2.outputs[0].as_numpy().tolist() == [1, 1]
    assert v2.id == "r-1"


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "json"])
def test_tritonclient_http(iris_server: Server, binary: bool) -> None:
    client = triton_http.InferenceServerClient(url=f"127.0.0.1:{iris_server.http_port}")
    assert client.is_server_live()
    assert client.is_server_ready()
    assert client.is_model_ready("iris")
    metadata = client.get_model_metadata("iris")
    assert metadata["name"] == "iris"
    assert metadata["inputs"][0]["shape"] == [-1, 4]
    data = np.array(IRIS_INSTANCES, dtype=np.float32)
    infer_input = triton_http.InferInput("input-0", list(data.shape), "FP32")
    infer_input.set_data_from_numpy(data, binary_data=binary)
    output = triton_http.InferRequestedOutput("output-0", binary_data=binary)
    result = client.infer("iris", [infer_input], outputs=[output], request_id="t-1")
    assert result.as_numpy("output-0").tolist() == [1, 1]
    assert result.get_response()["id"] == "t-1"
    client.close()


def test_tritonclient_http_errors(iris_server: Server) -> None:
    from tritonclient.utils import InferenceServerException

    client = triton_http.InferenceServerClient(url=f"127.0.0.1:{iris_server.http_port}")
    bad = triton_http.InferInput("input-0", [1, 3], "FP64")
    bad.set_data_from_numpy(np.zeros((1, 3)))
    with pytest.raises(InferenceServerException, match=r"expects input of shape \[N, 4\]"):
        client.infer("iris", [bad])
    with pytest.raises(InferenceServerException, match="not in this server's model repository"):
        client.infer("nope", [bad])
    client.close()


@pytest.mark.parametrize("script", ["triton_grpc.py", "kserve_grpc.py"])
def test_grpc_clients(iris_server: Server, script: str) -> None:
    done = subprocess.run(
        [sys.executable, str(CLIENTS / script), iris_server.grpc_target, "iris"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + iris_server.log()
    report = json.loads(done.stdout)
    assert report["live"]
    assert report["ready"]
    assert report["model_ready"]
    assert report["predictions"] == [1, 1]
    if script == "triton_grpc.py":
        assert report["id"] == "grpc-1"
        assert report["server_metadata"]["name"] == "modelplane"
        assert report["model_metadata"]["inputs"][0]["shape"] == ["-1", "4"]
        assert report["bad"]["status"] == "StatusCode.INVALID_ARGUMENT"
        assert "expects input of shape [N, 4]" in report["bad"]["message"]
        assert report["missing"]["status"] == "StatusCode.NOT_FOUND"


ECHO_MODEL = """
import numpy as np

from modelplane.runtime import messages, model, tensors

CHANGE = {
    "BYTES": lambda data: np.vectorize(bytes.upper, otypes=[object])(data),
    "FP16": np.negative,
    "BOOL": np.logical_not,
}


class Echo(model.Model):
    # Each input comes back changed, as <name>_out with the same datatype, so a wrong decode cannot pass as an echo.
    def predict(self, request):
        return messages.InferResponse(
            model_name=self.name,
            outputs=[
                tensors.Tensor(name=t.name + "_out", datatype=t.datatype, data=CHANGE[t.datatype](t.data))
                for t in request.inputs
            ],
        )
"""
WORDS = np.array([[b"hello", b"\x00\xff raw"], [b"", "\u00e9t\u00e9".encode()]], dtype=np.object_)
HALVES = np.array([[1.5, -2.25], [65504.0, 6.1e-05]], dtype=np.float16)
FLAGS = np.array([[True, False], [False, True]])


@pytest.fixture(scope="module")
def echo_server(start_module_server: Callable[..., Server], tmp_path_factory: pytest.TempPathFactory) -> Server:
    directory = tmp_path_factory.mktemp("echo")
    (directory / "model.py").write_text(ECHO_MODEL)
    return start_module_server("--model_name", "echo", "--model_dir", str(directory))


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "json"])
def test_tritonclient_http_bytes_fp16_bool(echo_server: Server, binary: bool) -> None:
    client = triton_http.InferenceServerClient(url=f"127.0.0.1:{echo_server.http_port}")
    # JSON carries BYTES as UTF-8 text, so the JSON case sends no raw bytes that are not UTF-8.
    words = WORDS if binary else np.array([[b"hello", b"tab\there"], [b"", "\u00e9t\u00e9".encode()]], dtype=object)
    inputs = []
    for name, data, datatype in (("words", words, "BYTES"), ("halves", HALVES, "FP16"), ("flags", FLAGS, "BOOL")):
        infer_input = triton_http.InferInput(name, list(data.shape), datatype)
        infer_input.set_data_from_numpy(data, binary_data=binary)
        inputs.append(infer_input)
    outputs = [triton_http.InferRequestedOutput(f"{n}_out", binary_data=binary) for n in ("words", "halves", "flags")]
    result = client.infer("echo", inputs, outputs=outputs)
    datatypes = {o["name"]: o["datatype"] for o in result.get_response()["outputs"]}
    assert datatypes == {"words_out": "BYTES", "halves_out": "FP16", "flags_out": "BOOL"}
    got_words = [[w if isinstance(w, bytes) else w.encode() for w in row] for row in result.as_numpy("words_out")]
    assert got_words == [[w.upper() for w in row] for row in words.tolist()]
    halves = result.as_numpy("halves_out")
    assert halves.dtype == np.float16
    assert halves.tolist() == (-HALVES).tolist()
    flags = result.as_numpy("flags_out")
    assert flags.dtype == np.bool_
    assert flags.tolist() == (~FLAGS).tolist()
    client.close()


def test_tritonclient_grpc_bytes_fp16_bool(echo_server: Server) -> None:
    done = subprocess.run(
        [sys.executable, str(CLIENTS / "triton_grpc_datatypes.py"), echo_server.grpc_target, "echo"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + echo_server.log()
    report = json.loads(done.stdout)
    assert report["datatypes"] == {"words_out": "BYTES", "halves_out": "FP16", "flags_out": "BOOL"}
    assert report["words_out"] == [[w.upper().decode("latin-1") for w in row] for row in WORDS.tolist()]
    assert report["halves_out"] == {"dtype": "float16", "values": (-HALVES).astype(np.float64).tolist()}
    assert report["flags_out"] == {"dtype": "bool", "values": (~FLAGS).tolist()}


def test_metrics_after_traffic(iris_server: Server) -> None:
    keys = {
        "requests": 'modelplane_requests_total{model="iris",protocol="v1"}',
        "errors": 'modelplane_request_errors_total{code="400",model="iris",protocol="v1"}',
        "latency": 'modelplane_request_duration_seconds_count{model="iris",protocol="v1"}',
    }
    before = httpx.get(iris_server.url + "/metrics").text
    for _ in range(3):
        httpx.post(iris_server.url + "/v1/models/iris:predict", json={"instances": IRIS_INSTANCES})
    httpx.post(iris_server.url + "/v1/models/iris:predict", json={"instances": [[1, 2]]})
    after = httpx.get(iris_server.url + "/metrics").text
    assert metric(after, keys["requests"]) - metric(before, keys["requests"]) == 4
    assert metric(after, keys["errors"]) - metric(before, keys["errors"]) == 1
    assert metric(after, keys["latency"]) - metric(before, keys["latency"]) == 4
    assert "modelplane_requests_in_flight 0.0" in after
    assert "modelplane_payload_events_delivered_total" in after


def test_body_limit(iris_server: Server) -> None:
    big = {"instances": [[1.0, 2.0, 3.0, 4.0]] * 400}
    reply = httpx.post(iris_server.url + "/v1/models/iris:predict", json=big)
    assert reply.status_code == 413
    assert f"limit of {BODY_LIMIT}" in reply.json()["error"]
    ok = httpx.post(iris_server.url + "/v1/models/iris:predict", json={"instances": IRIS_INSTANCES})
    assert ok.json() == {"predictions": [1, 1]}


def test_payload_logging(iris_server: Server, sink: tuple[str, list[dict[str, Any]]]) -> None:
    _, received = sink
    body = {"instances": IRIS_INSTANCES}
    reply = httpx.post(iris_server.url + "/v1/models/iris:predict", json=body, headers={"x-request-id": "abc"})
    assert reply.status_code == 200
    deadline = time.monotonic() + 10
    mine: dict[str, dict[str, Any]] = {}
    while time.monotonic() < deadline and len(mine) < 2:
        mine = {e["headers"]["ce-type"]: e for e in list(received) if e["headers"].get("ce-id") == "abc"}
        time.sleep(0.05)
    assert set(mine) == {"org.kubeflow.serving.inference.request", "org.kubeflow.serving.inference.response"}
    request_event = mine["org.kubeflow.serving.inference.request"]
    assert request_event["headers"]["ce-inferenceservicename"] == "sklearn-iris"
    assert request_event["headers"]["ce-namespace"] == "default"
    assert json.loads(request_event["body"]) == body
    assert json.loads(mine["org.kubeflow.serving.inference.response"]["body"]) == {"predictions": [1, 1]}


def test_repository_load_and_unload(iris_server: Server) -> None:
    url = iris_server.url
    assert httpx.get(url + "/v2/models/tree/ready").status_code == 404
    loaded = httpx.post(url + "/v2/repository/models/tree/load", timeout=120)
    assert loaded.status_code == 200, loaded.text
    assert httpx.get(url + "/v2/models/tree/ready").status_code == 200
    reply = httpx.post(url + "/v1/models/tree:predict", json={"instances": IRIS_INSTANCES})
    assert reply.json() == {"predictions": [1, 1]}
    assert httpx.get(url + "/v1/models").json() == {"models": ["iris", "tree"]}
    assert httpx.post(url + "/v2/repository/models/tree/unload").status_code == 200
    gone = httpx.post(url + "/v1/models/tree:predict", json={"instances": IRIS_INSTANCES})
    assert gone.status_code == 404
    assert httpx.post(url + "/v2/repository/models/nothing/load").status_code == 404
    assert httpx.post(url + "/v2/repository/models/..hidden/load").status_code == 400


def test_model_that_fails_to_load(iris_server: Server) -> None:
    url = iris_server.url
    failed = httpx.post(url + "/v2/repository/models/broken/load", timeout=120)
    assert failed.status_code == 500
    assert "not a loadable joblib/pickle file" in failed.json()["error"]
    reply = httpx.post(url + "/v1/models/broken:predict", json={"instances": [[1]]})
    assert reply.status_code == 503
    assert "loading failed" in reply.json()["error"]
    assert httpx.get(url + "/v2/models/broken/ready").status_code == 503
    # A model loaded at run time that fails is not the server failing: the other models keep their Service.
    assert httpx.get(url + "/v2/health/ready").status_code == 200
    assert httpx.get(url + "/v2/health/live").status_code == 200
    assert httpx.post(url + "/v2/repository/models/broken/unload").status_code == 200
    assert httpx.get(url + "/v2/models/broken/ready").status_code == 404


def test_sigterm_stops_the_server(iris_server: Server) -> None:
    iris_server.process.send_signal(signal.SIGTERM)
    # uvicorn shuts down gracefully, then re-raises the signal so the exit status still says SIGTERM.
    assert iris_server.process.wait(timeout=30) in (0, -signal.SIGTERM)
    assert "Finished server process" in iris_server.log()
