"""The command line: KServe's flag names map onto Settings with the documented defaults (127.0.0.1, 8080/8081,
16 MiB), MODELPLANE_HTTP_HOST (what the runtime image sets) as --http_host's default with the flag still winning,
a server started with only that variable bound where it says, the SHAP explainer's flags (no --model_dir, a
--predictor_host required), and nonsense values rejected with a message naming the flag."""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from modelplane.runtime import __main__ as cli

Server = Any  # conftest.Server: a started server process with its ports and log


def test_defaults_and_flags(tmp_path: pathlib.Path) -> None:
    config = cli.parse(["--model_name", "iris", "--model_dir", str(tmp_path)], env={})
    assert config.http_host == "127.0.0.1"
    assert (config.http_port, config.grpc_port) == (8080, 8081)
    assert config.max_batch_size is None
    assert config.max_body_bytes == 16 * 1024 * 1024
    assert config.workers == 1
    config = cli.parse(
        ["--model_name", "iris", "--model_dir", str(tmp_path), "--model_format", "sklearn", "--http_host", "0.0.0.0",
         "--max_batch_size", "32", "--max_latency_ms", "5", "--logger_url", "http://sink/", "--logger_mode", "request",
         "--isvc_name", "a", "--isvc_namespace", "b", "--component", "transformer", "--predictor_host", "p:80",
         "--workers", "4"]
    )  # fmt: skip
    assert config.model_format == "sklearn"
    assert config.max_batch_size == 32
    assert config.max_latency_ms == 5.0
    assert config.logger_mode == "request"
    assert config.predictor_host == "p:80"
    assert config.workers == 4


def test_the_shap_explainer_needs_no_model_dir() -> None:
    config = cli.parse(["--model_name", "iris", "--model_format", "shap", "--predictor_host", "iris-predictor.ns"])
    assert (config.model_dir, config.model_format, config.predictor_host) == (None, "shap", "iris-predictor.ns")


def test_the_image_environment_sets_the_default_host(tmp_path: pathlib.Path) -> None:
    base = ["--model_name", "iris", "--model_dir", str(tmp_path)]
    assert cli.parse(base, env={"MODELPLANE_HTTP_HOST": "0.0.0.0"}).http_host == "0.0.0.0"
    assert cli.parse(base, env={"MODELPLANE_HTTP_HOST": " "}).http_host == "127.0.0.1"
    assert cli.parse([*base, "--http_host", "127.0.0.1"], env={"MODELPLANE_HTTP_HOST": "0.0.0.0"}).http_host == (
        "127.0.0.1"
    )


def test_a_server_binds_where_the_environment_says(start_server: Callable[..., Server], iris_dir: pathlib.Path) -> None:
    """127.0.0.2 is a loopback address too: the server must listen there, and not on 127.0.0.1."""
    server = start_server(
        "--model_name", "iris", "--model_dir", str(iris_dir), env={"MODELPLANE_HTTP_HOST": "127.0.0.2"},
        host="127.0.0.2",
    )  # fmt: skip
    assert httpx.get(server.url + "/v1/models/iris", timeout=5).json() == {"name": "iris", "ready": True}
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{server.http_port}/", timeout=5)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model_name", "m"], "give --model_dir"),
        (["--model_name", "m", "--model_dir", "d", "--max_batch_size", "0"], "--max_batch_size must be at least 1"),
        (["--model_name", "m", "--model_dir", "d", "--max_latency_ms", "0"], "--max_latency_ms must be positive"),
        (["--model_name", "m", "--model_dir", "d", "--http_port", "70000"], "--http_port must be 0..65535"),
        (["--model_name", "m", "--model_dir", "d", "--model_format", "pmml"], "invalid choice: 'pmml'"),
        (["--model_name", "m", "--model_dir", "d", "--max_body_bytes", "10"], "at least 1024"),
        (["--model_name", "m", "--model_format", "shap"], "--model_format shap explains a predictor"),
        (["--model_name", "m", "--model_dir", "d", "--workers", "0"], "--workers must be at least 1"),
    ],
)
def test_rejects(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.parse(args)
    assert message in capsys.readouterr().err


def test_bad_logger_url_is_a_clean_error(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(
        ["--model_name", "m", "--model_dir", str(tmp_path), "--logger_url", "not-a-url", "--http_port", "0"]
    )
    assert code == 2
    assert "not an http(s) URL" in capsys.readouterr().err
