"""Covers payloads.events: the binary-mode CloudEvent headers of a request and a response (types, id, source, time,
KServe's extensions, content type), RFC 3339 time formatting, and percent-encoding of attribute values."""

from __future__ import annotations

import pytest
from modelplane.runtime.payloads import events, settings

CONFIG = settings.LoggerSettings(
    url="http://sink/",
    source="http://localhost:8080/",
    inference_service="sklearn-iris",
    namespace="default",
    component="predictor",
    endpoint="canary",
)


def payload(
    kind: events.EventKind, *, model_name: str = "iris", content_type: str = "application/json"
) -> events.Payload:
    return events.Payload(
        kind=kind, request_id="req-1", model_name=model_name, body=b"{}", content_type=content_type, time=0.25
    )


@pytest.mark.parametrize(
    ("kind", "ce_type"),
    [
        pytest.param(events.EventKind.REQUEST, "org.kubeflow.serving.inference.request", id="request"),
        pytest.param(events.EventKind.RESPONSE, "org.kubeflow.serving.inference.response", id="response"),
    ],
)
def test_headers_carry_kserve_attributes_and_extensions(kind: events.EventKind, ce_type: str) -> None:
    assert events.headers(payload(kind), config=CONFIG) == {
        "ce-specversion": "1.0",
        "ce-id": "req-1",
        "ce-source": "http://localhost:8080/",
        "ce-type": ce_type,
        "ce-time": "1970-01-01T00:00:00.250000Z",
        "ce-subject": "iris",
        "ce-inferenceservicename": "sklearn-iris",
        "ce-namespace": "default",
        "ce-component": "predictor",
        "ce-endpoint": "canary",
        "content-type": "application/json",
    }


def test_missing_content_type_is_octet_stream() -> None:
    headers = events.headers(payload(events.EventKind.REQUEST, content_type=""), config=CONFIG)
    assert headers["content-type"] == "application/octet-stream"


@pytest.mark.parametrize(
    ("text", "encoded"),
    [
        pytest.param("iris-v1", "iris-v1", id="printable-unchanged"),
        pytest.param("my model", "my%20model", id="space"),
        pytest.param('a"b%c', "a%22b%25c", id="quote-and-percent"),
        pytest.param("modèle", "mod%C3%A8le", id="non-ascii-as-utf8"),
        pytest.param("a\nb", "a%0Ab", id="newline"),
    ],
)
def test_encode_value_follows_the_cloudevents_http_binding(text: str, encoded: str) -> None:
    assert events.encode_value(text) == encoded


def test_model_name_is_encoded_in_subject() -> None:
    headers = events.headers(payload(events.EventKind.REQUEST, model_name="my model"), config=CONFIG)
    assert headers["ce-subject"] == "my%20model"


def test_format_time_is_utc_rfc3339() -> None:
    assert events.format_time(1_700_000_000.5) == "2023-11-14T22:13:20.500000Z"
