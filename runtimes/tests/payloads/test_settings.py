"""Covers payloads.settings: mode parsing (KServe's spellings, bad modes), which kinds each mode logs, validation of
every setting with a message naming it, and the capped exponential backoff."""

from __future__ import annotations

import pytest
from modelplane.runtime.payloads import settings


@pytest.mark.parametrize(
    ("text", "mode", "requests", "responses"),
    [
        pytest.param("all", settings.LoggerMode.ALL, True, True, id="all"),
        pytest.param("request", settings.LoggerMode.REQUEST, True, False, id="request"),
        pytest.param(" Response ", settings.LoggerMode.RESPONSE, False, True, id="response-spaced-capitalised"),
    ],
)
def test_mode_parse(text: str, mode: settings.LoggerMode, requests: bool, responses: bool) -> None:
    parsed = settings.LoggerMode.parse(text)
    assert parsed is mode
    assert parsed.logs_requests is requests
    assert parsed.logs_responses is responses


def test_mode_parse_rejects_unknown_mode_naming_the_choices() -> None:
    with pytest.raises(settings.LoggerSettingsError, match=r"'both' is not one of all, request, response"):
        settings.LoggerMode.parse("both")


def test_defaults_follow_kserve() -> None:
    config = settings.LoggerSettings(url="http://sink.default/")
    assert (config.workers, config.queue_size, config.mode) == (5, 100, settings.LoggerMode.ALL)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"url": "sink.default"}, "is not an http(s) URL", id="url-without-scheme"),
        pytest.param({"url": "ftp://sink/"}, "is not an http(s) URL", id="url-wrong-scheme"),
        pytest.param({"url": "http:///path"}, "is not an http(s) URL", id="url-without-host"),
        pytest.param({"source": ""}, "source is empty", id="empty-source"),
        pytest.param({"workers": 0}, "workers is 0; it must be at least 1", id="no-workers"),
        pytest.param({"queue_size": 0}, "queue_size is 0", id="no-queue"),
        pytest.param({"queue_max_bytes": 0}, "queue_max_bytes is 0", id="no-queue-bytes"),
        pytest.param({"max_attempts": 0}, "max_attempts is 0", id="no-attempts"),
        pytest.param({"request_timeout_s": -1}, "request_timeout_s is -1", id="negative-timeout"),
        pytest.param({"backoff_initial_s": 3.0, "backoff_max_s": 1.0}, "below backoff_initial_s", id="backoff-order"),
    ],
)
def test_invalid_settings_name_the_setting(changes: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"url": "http://sink.default/", **changes}
    with pytest.raises(settings.LoggerSettingsError) as caught:
        settings.LoggerSettings(**arguments)  # type: ignore[arg-type]
    assert message in str(caught.value)


def test_backoff_doubles_and_is_capped() -> None:
    config = settings.LoggerSettings(url="http://sink/", backoff_initial_s=0.1, backoff_max_s=0.5)
    assert [config.backoff_s(attempt=n) for n in (1, 2, 3, 4, 5)] == pytest.approx([0.1, 0.2, 0.4, 0.5, 0.5])
