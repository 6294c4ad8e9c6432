"""Covers payloads: loading inline or from a file, V1/V2 shape checks, growing to N rows, answer checks."""

from __future__ import annotations

import json
import pathlib

import pytest
from modelplane.loadtest import errors, payloads

V1 = '{"instances": [[1, 2], [3, 4]]}'
V2 = '{"inputs": [{"name": "x", "shape": [2, 2], "datatype": "FP32", "data": [1, 2, 3, 4]}]}'


def test_v1_rows_cycle_through_the_instances() -> None:
    payload = payloads.load(text=V1, protocol="v1")
    assert payload.rows == 2
    assert json.loads(payloads.body(payload, rows=5)) == {"instances": [[1, 2], [3, 4], [1, 2], [3, 4], [1, 2]]}
    assert json.loads(payloads.body(payload, rows=1)) == {"instances": [[1, 2]]}


def test_v2_rows_grow_every_input_and_its_shape() -> None:
    text = json.dumps(
        {
            "inputs": [
                {"name": "x", "shape": [2, 2], "datatype": "FP32", "data": [[1, 2], [3, 4]]},
                {"name": "y", "shape": [2], "datatype": "INT64", "data": [7, 8]},
            ],
            "parameters": {"p": 1},
        }
    )
    grown = json.loads(payloads.body(payloads.load(text=text, protocol="v2"), rows=3))
    assert grown["inputs"][0] == {"name": "x", "shape": [3, 2], "datatype": "FP32", "data": [1, 2, 3, 4, 1, 2]}
    assert grown["inputs"][1]["shape"] == [3]
    assert grown["inputs"][1]["data"] == [7, 8, 7]
    assert grown["parameters"] == {"p": 1}


def test_body_without_rows_is_the_payload_itself() -> None:
    payload = payloads.load(text=V2, protocol="v2")
    assert json.loads(payloads.body(payload)) == json.loads(V2)


def test_a_payload_file_is_read(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(V1)
    assert payloads.load(path=path, protocol="v1").rows == 2


@pytest.mark.parametrize(
    ("text", "protocol", "message"),
    [
        pytest.param("{", "v1", "not JSON", id="not-json"),
        pytest.param("[1]", "v1", "JSON object", id="not-object"),
        pytest.param('{"instances": []}', "v1", "instances", id="v1-empty"),
        pytest.param(V1, "v2", "inputs", id="v1-body-for-v2"),
        pytest.param('{"inputs": [{"name": "x"}]}', "v2", "name, shape, datatype and data", id="v2-missing-keys"),
        pytest.param(
            '{"inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP32", "data": [1, 2]}]}',
            "v2",
            "needs 6",
            id="v2-size-mismatch",
        ),
        pytest.param(
            '{"inputs": [{"name": "x", "shape": [0], "datatype": "FP32", "data": []}]}',
            "v2",
            "positive integers",
            id="v2-zero-dim",
        ),
        pytest.param(
            '{"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]},'
            ' {"name": "y", "shape": [2], "datatype": "FP32", "data": [1, 2]}]}',
            "v2",
            "rows",
            id="v2-row-mismatch",
        ),
    ],
)
def test_bad_payloads_are_named(text: str, protocol: str, message: str) -> None:
    with pytest.raises(errors.InvalidPayload, match=message):
        payloads.load(text=text, protocol=protocol)


def test_inline_and_file_together_are_refused(tmp_path: pathlib.Path) -> None:
    with pytest.raises(errors.InvalidPayload, match="not both"):
        payloads.load(text=V1, path=tmp_path / "x.json", protocol="v1")


def test_a_missing_file_is_named(tmp_path: pathlib.Path) -> None:
    with pytest.raises(errors.InvalidPayload, match="cannot read payload file"):
        payloads.load(path=tmp_path / "missing.json", protocol="v1")


def test_zero_rows_is_refused() -> None:
    with pytest.raises(errors.InvalidPayload, match="at least one row"):
        payloads.body(payloads.load(text=V1, protocol="v1"), rows=0)


@pytest.mark.parametrize(
    ("protocol", "document", "ok"),
    [
        pytest.param("v1", {"predictions": [1]}, True, id="v1-ok"),
        pytest.param("v1", {"predictions": {"label": [1]}}, True, id="v1-multi-output"),
        pytest.param("v1", {"error": "x"}, False, id="v1-error"),
        pytest.param("v2", {"outputs": []}, True, id="v2-ok"),
        pytest.param("v2", {"predictions": [1]}, False, id="v2-wrong-shape"),
        pytest.param("v2", None, False, id="not-json"),
    ],
)
def test_answer_ok(protocol: str, document: object, ok: bool) -> None:
    assert payloads.answer_ok(protocol=protocol, document=document) is ok
