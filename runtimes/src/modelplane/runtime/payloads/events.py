"""One logged payload as a CloudEvent in HTTP binary mode: the payload is the body, the attributes are headers.

The event types and extension names are KServe's, so sinks written for KServe's logger read ours unchanged:
`ce-type` is `org.kubeflow.serving.inference.request` or `.response`; `ce-id` is the inference request's id (the
same on a request and its response, which is how sinks pair them, as KServe does); the extensions
`ce-inferenceservicename`, `ce-namespace`, `ce-component` and `ce-endpoint` say where the event comes from, and
`ce-subject` names the model (a server may hold several). Pure: builds headers, sends nothing.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum

from modelplane.runtime.payloads import settings

SPEC_VERSION = "1.0"


class EventKind(enum.Enum):
    """Which side of an inference a payload is; the value is the CloudEvents type."""

    REQUEST = "org.kubeflow.serving.inference.request"
    RESPONSE = "org.kubeflow.serving.inference.response"


@dataclasses.dataclass(frozen=True, slots=True)
class Payload:
    """One payload waiting to be sent: what the server handed over, stamped with when it did."""

    kind: EventKind
    request_id: str
    model_name: str
    body: bytes
    content_type: str
    time: float  # seconds since the epoch, taken when the server submitted the payload


def format_time(epoch_seconds: float) -> str:
    """RFC 3339 time in UTC with microseconds, as CloudEvents `time` wants it (`2026-11-22T21:30:00.123456Z`)."""
    moment = datetime.datetime.fromtimestamp(epoch_seconds, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def encode_value(text: str) -> str:
    """A CloudEvents attribute as an HTTP header value: space, `"`, `%` and all but printable ASCII percent-encoded.

    The CloudEvents HTTP binding asks for exactly this (UTF-8 bytes, `%XX`), so a model name with a space or a
    non-ASCII letter still makes a valid header that a sink decodes back.
    """
    out: list[str] = []
    for char in text:
        if "!" <= char <= "~" and char not in '"%':
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8"))
    return "".join(out)


def headers(payload: Payload, *, config: settings.LoggerSettings) -> dict[str, str]:
    """The HTTP headers of `payload` as a binary-mode CloudEvent, extensions included."""
    attributes = {
        "ce-specversion": SPEC_VERSION,
        "ce-id": payload.request_id,
        "ce-source": config.source,
        "ce-type": payload.kind.value,
        "ce-time": format_time(payload.time),
        "ce-subject": payload.model_name,
        "ce-inferenceservicename": config.inference_service,
        "ce-namespace": config.namespace,
        "ce-component": config.component,
        "ce-endpoint": config.endpoint,
    }
    encoded = {name: encode_value(value) for name, value in attributes.items()}
    encoded["content-type"] = payload.content_type or "application/octet-stream"
    return encoded
