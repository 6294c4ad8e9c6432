"""The published OpenAPI document and a fuzz test driven by it.

The document lists every route the server answers, and the load body's formats are the server's own. The fuzz
test reads it from a running server, and for each documented operation sends inputs that are invalid by
construction (generated with hypothesis): bodies that are not JSON, JSON of the wrong shape, V1 instances of the
wrong width or type, V2 tensors with wrong shapes, datatypes, data or binary sizes, unknown model names,
undocumented methods and bad binary headers. Every answer must be a 4xx that the document lists for that operation
(405 for undocumented methods) with a JSON body holding only an `error` string; at least 2,000 such inputs are
sent, and the server still answers a good request after.
"""

from __future__ import annotations

import json
import pathlib
import string
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from modelplane.runtime import formats, openapi

SENT: list[int] = []


def fuzz(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))


IRIS = [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]
NAME_CHARS = string.ascii_letters + string.digits + "-_."


@pytest.fixture(scope="module")
def server(start_module_server: Callable[..., Any], iris_dir: pathlib.Path) -> Any:
    return start_module_server("--model_name", "iris", "--model_dir", str(iris_dir))


@pytest.fixture(scope="module")
def client(server: Any) -> Any:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        yield http


@pytest.fixture(scope="module")
def document(client: httpx.Client) -> dict[str, Any]:
    return dict(client.get("/openapi.json").json())


def check(document: dict[str, Any], template: str, method: str, reply: httpx.Response) -> None:
    SENT.append(reply.status_code)
    assert 400 <= reply.status_code < 500, (template, method, reply.status_code, reply.text)
    body = reply.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"], str)
    assert body["error"]
    operation = document["paths"].get(template, {}).get(method.lower())
    if operation is None:
        assert reply.status_code in (404, 405)
    else:
        assert str(reply.status_code) in operation["responses"], (template, method, reply.status_code, body)


def test_document_lists_every_route(document: dict[str, Any]) -> None:
    assert document == orjson.loads(orjson.dumps(openapi.document(version="0.1.0")))
    paths = set(document["paths"])
    assert {"/v1/models/{model_name}:predict", "/v2/models/{model_name}/infer", "/v2/health/ready"} <= paths
    for operations in document["paths"].values():
        for operation in operations.values():
            assert "200" in operation["responses"]
    load = document["components"]["schemas"]["LoadRequest"]["properties"]["parameters"]["properties"]
    assert tuple(load["model_format"]["enum"]) == formats.FORMATS


def dump(value: Any) -> bytes:
    """JSON as any client might write it (the standard library also writes integers beyond 64 bits)."""
    return json.dumps(value).encode()


json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
not_json = st.binary(max_size=64).filter(lambda raw: _not_json(raw))


def _not_json(raw: bytes) -> bool:
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError:
        return True
    return False


numbers = st.floats(allow_nan=False, allow_infinity=False, width=32)
wrong_width_rows = st.lists(
    st.lists(numbers, min_size=0, max_size=7).filter(lambda row: len(row) != 4), min_size=1, max_size=4
)
non_numeric_rows = st.lists(
    st.lists(
        st.text(max_size=3) | st.dictionaries(st.text(max_size=2), st.integers(), max_size=2), min_size=4, max_size=4
    ),
    min_size=1,
    max_size=3,
)
bad_v1 = st.one_of(
    not_json,
    json_values.filter(lambda value: not isinstance(value, dict)).map(dump),
    st.dictionaries(
        st.text(max_size=8).filter(lambda key: key not in ("instances", "inputs")), json_values, max_size=3
    ).map(dump),
    json_values.filter(lambda value: not isinstance(value, list) or not value).map(
        lambda value: dump({"instances": value})
    ),
    wrong_width_rows.map(lambda rows: dump({"instances": rows})),
    non_numeric_rows.map(lambda rows: dump({"instances": rows})),
)


@fuzz(550)
@given(body=bad_v1, verb=st.sampled_from(["predict", "explain"]))
def test_fuzz_v1_bodies(client: httpx.Client, document: dict[str, Any], body: bytes, verb: str) -> None:
    reply = client.post(f"/v1/models/iris:{verb}", content=body, headers={"content-type": "application/json"})
    check(document, "/v1/models/{model_name}:" + verb, "POST", reply)


DATATYPES = ["BOOL", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64", "FP16", "FP32", "FP64"]


def _tensor_mutations() -> st.SearchStrategy[dict[str, Any]]:
    base = {"name": "input-0", "shape": [2, 4], "datatype": "FP64", "data": [x for row in IRIS for x in row]}
    return st.one_of(
        st.text(max_size=6).filter(lambda t: t not in [*DATATYPES, "BYTES"]).map(lambda t: {**base, "datatype": t}),
        st.lists(st.integers(min_value=-5, max_value=9), max_size=3)
        .filter(lambda shape: shape != [2, 4] and shape != [8] and shape != [1, 8])
        .map(lambda shape: {**base, "shape": shape}),
        st.lists(numbers, max_size=12).filter(lambda data: len(data) != 8).map(lambda data: {**base, "data": data}),
        st.lists(st.text(max_size=3), min_size=8, max_size=8).map(lambda data: {**base, "data": data}),
        st.sampled_from(["name", "shape", "datatype", "data"]).map(
            lambda key: {k: v for k, v in base.items() if k != key}
        ),
        st.sampled_from(["BOOL", "BYTES"]).map(lambda t: {**base, "datatype": t}),
        st.integers(min_value=1, max_value=10_000).map(
            lambda n: {**{k: v for k, v in base.items() if k != "data"}, "parameters": {"binary_data_size": n}}
        ),
        st.sampled_from(DATATYPES[1:9]).map(lambda t: {**base, "datatype": t}),  # integers where floats were sent
        json_values.filter(lambda value: not isinstance(value, dict)),
    )


bad_v2 = st.one_of(
    not_json,
    json_values.filter(lambda value: not isinstance(value, dict)).map(dump),
    json_values.filter(lambda value: not isinstance(value, list) or not value).map(
        lambda value: dump({"inputs": value})
    ),
    _tensor_mutations().map(lambda tensor: dump({"inputs": [tensor]})),
    st.text(alphabet=NAME_CHARS, min_size=1, max_size=8)
    .filter(lambda name: name != "output-0")
    .map(
        lambda name: dump(
            {
                "inputs": [{"name": "x", "shape": [2, 4], "datatype": "FP64", "data": IRIS}],
                "outputs": [{"name": name}],
            }
        )
    ),
)


@fuzz(550)
@given(body=bad_v2, versioned=st.booleans())
def test_fuzz_v2_bodies(client: httpx.Client, document: dict[str, Any], body: bytes, versioned: bool) -> None:
    template = (
        "/v2/models/{model_name}/versions/{model_version}/infer" if versioned else "/v2/models/{model_name}/infer"
    )
    path = "/v2/models/iris/versions/1/infer" if versioned else "/v2/models/iris/infer"
    reply = client.post(path, content=body, headers={"content-type": "application/json"})
    check(document, template, "POST", reply)


@fuzz(300)
@given(
    length=st.one_of(
        st.integers(min_value=-100, max_value=100_000).map(str), st.text(string.ascii_letters, min_size=1)
    ),
    body=st.binary(max_size=64),
)
def test_fuzz_binary_header(client: httpx.Client, document: dict[str, Any], length: str, body: bytes) -> None:
    reply = client.post("/v2/models/iris/infer", content=body, headers={"inference-header-content-length": length})
    check(document, "/v2/models/{model_name}/infer", "POST", reply)


model_names = st.text(alphabet=NAME_CHARS, min_size=1, max_size=12).filter(lambda n: n not in ("iris", ".", ".."))


@fuzz(400)
@given(name=model_names, data=st.data())
def test_fuzz_unknown_models(client: httpx.Client, document: dict[str, Any], name: str, data: st.DataObject) -> None:
    templates = [t for t in document["paths"] if "{model_name}" in t and "repository" not in t]
    template = data.draw(st.sampled_from(templates))
    path = template.replace("{model_name}", name).replace("{model_version}", "1")
    method = "post" if "post" in document["paths"][template] else "get"
    body = dump({"instances": IRIS}) if ":" in template else None
    reply = client.request(method.upper(), path, content=body)
    check(document, template, method.upper(), reply)


@fuzz(200)
@given(data=st.data())
def test_fuzz_undocumented_methods(client: httpx.Client, document: dict[str, Any], data: st.DataObject) -> None:
    template = data.draw(st.sampled_from(sorted(document["paths"])))
    documented = set(document["paths"][template])
    method = data.draw(st.sampled_from([m for m in ("get", "post", "put", "delete", "patch") if m not in documented]))
    path = template.replace("{model_name}", "iris").replace("{model_version}", "1")
    reply = client.request(method.upper(), path)
    check(document, template, method.upper(), reply)


@fuzz(300)
@given(path=st.text(alphabet=string.ascii_letters + string.digits + "/:_-", min_size=1, max_size=20))
def test_fuzz_unknown_paths(client: httpx.Client, document: dict[str, Any], path: str) -> None:
    route = "/x/" + path
    reply = client.get(route)
    check(document, route, "GET", reply)


def test_server_survived_the_fuzzing(client: httpx.Client, server: Any) -> None:
    assert len(SENT) >= 2000, f"only {len(SENT)} bad inputs were sent"
    assert server.alive()
    assert client.post("/v1/models/iris:predict", json={"instances": IRIS}).json() == {"predictions": [1, 1]}
    assert client.get("/v2/health/live").status_code == 200
