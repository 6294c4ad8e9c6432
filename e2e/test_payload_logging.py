"""Journey: an InferenceService with a `logger` sends each request and its response as CloudEvents to a sink.
A message-dumper (a small HTTP server in the namespace that keeps what it is sent and lists it back, run on the
Modelplane runtime image, which carries Python) receives, for one V1 prediction through the ingress, a request event
and a response event in CloudEvents binary mode: types `org.kubeflow.serving.inference.request` / `.response`, one
shared id, KServe's extensions (`inferenceservicename`, `namespace`, `component`) and the payloads themselves.
The dumper is read through the API server's service proxy, the same on any cluster."""

from __future__ import annotations

import json

IRIS = {"instances": [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]}

DUMPER = """
import http.server
import json
import sys

EVENTS = []


class Dumper(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        headers = {k: v for k, v in headers.items() if k.startswith("ce-") or k == "content-type"}
        EVENTS.append({"headers": headers, "body": body.decode("utf-8", "replace")})
        print("received", headers.get("ce-type"), headers.get("ce-id"), flush=True)
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        data = json.dumps(EVENTS).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


http.server.ThreadingHTTPServer((sys.argv[1], 8000), Dumper).serve_forever()
"""


def message_dumper(journey) -> None:
    journey.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "message-dumper"},
            "data": {"dumper.py": DUMPER},
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "message-dumper", "labels": {"app": "message-dumper"}},
            "spec": {
                "containers": [
                    {
                        "name": "dumper",
                        "image": "modelplane/runtime:0.1.0",
                        "command": ["python", "/app/dumper.py", "0.0.0.0"],
                        "ports": [{"name": "http", "containerPort": 8000}],
                        "readinessProbe": {"tcpSocket": {"port": "http"}, "periodSeconds": 1},
                        "volumeMounts": [{"name": "code", "mountPath": "/app"}],
                    }
                ],
                "volumes": [{"name": "code", "configMap": {"name": "message-dumper"}}],
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "message-dumper"},
            "spec": {
                "selector": {"app": "message-dumper"},
                "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
            },
        },
    )
    journey.kubectl("wait", "--for=condition=Ready", "pod/message-dumper", "--timeout=90s")


def events(journey) -> list[dict]:
    path = f"/api/v1/namespaces/{journey.namespace}/services/message-dumper:http/proxy/"
    return json.loads(journey.kubectl("get", "--raw", path))


def test_request_and_response_reach_the_message_dumper(journey, model_repository: str) -> None:
    message_dumper(journey)
    sink = f"http://message-dumper.{journey.namespace}.svc.cluster.local"
    logger = {"url": sink, "mode": "all"}
    journey.apply(journey.sklearn("logged-iris", f"{model_repository}/iris/model.joblib", logger=logger))
    journey.ready("logged-iris")
    assert journey.answered("logged-iris", "/v1/models/logged-iris:predict", IRIS) == (200, {"predictions": [1, 1]})

    received = journey.wait(
        "two events at the dumper", lambda: (found := events(journey)) and len(found) >= 2 and found
    )
    by_type = {event["headers"]["ce-type"]: event for event in received}
    assert set(by_type) == {"org.kubeflow.serving.inference.request", "org.kubeflow.serving.inference.response"}
    request, response = (by_type[f"org.kubeflow.serving.inference.{kind}"] for kind in ("request", "response"))
    assert request["headers"]["ce-id"] == response["headers"]["ce-id"]
    for event in (request, response):
        headers = event["headers"]
        assert headers["ce-specversion"] == "1.0"
        assert headers["ce-inferenceservicename"] == "logged-iris"
        assert headers["ce-namespace"] == journey.namespace
        assert headers["ce-component"] == "predictor"
        assert headers["content-type"].startswith("application/json")
    assert json.loads(request["body"]) == IRIS
    assert json.loads(response["body"]) == {"predictions": [1, 1]}
