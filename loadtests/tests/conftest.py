"""Fixtures for the load-test tests: real model servers on 127.0.0.1 and a way to run the command line.

`LOCUST_SKIP_MONKEY_PATCH=1` is set before anything imports locust, so the few tests that import the locust-based
modules in this process do not patch the standard library under the rest of the suite; real load runs go through
the `modelplane-loadtest` command in a child process, as users run it.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
from collections.abc import Iterator

import pytest
from modelplane.loadtest import servers

os.environ.setdefault("LOCUST_SKIP_MONKEY_PATCH", "1")

#: A model that takes 40 ms per call and holds the event loop meanwhile: at most 25 calls a second.
SLOW_MODEL = """
import time

from modelplane.runtime import messages, model


class Slow(model.Model):
    def predict(self, request):
        time.sleep(0.04)
        return messages.InferResponse(model_name=self.name, outputs=list(request.inputs))
"""


def _iris(folder: pathlib.Path) -> pathlib.Path:
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    features, labels = load_iris(return_X_y=True)
    joblib.dump(LogisticRegression(max_iter=500).fit(features, labels), folder / "model.joblib")
    return folder


@pytest.fixture(scope="session")
def iris_dir(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return _iris(tmp_path_factory.mktemp("iris"))


@pytest.fixture(scope="session")
def runtime(iris_dir: pathlib.Path) -> Iterator[str]:
    """Modelplane's runtime serving `iris` with adaptive batching; yields its base URL."""
    spec, url = servers.runtime_spec(
        name="iris-runtime", model_name="iris", model_dir=iris_dir, workdir=iris_dir, max_batch_size=16,
        max_latency_ms=20,
    )  # fmt: skip
    with servers.running(spec):
        yield url


@pytest.fixture(scope="session")
def slow_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A runtime whose model answers at most 25 calls a second (no batching); yields its base URL."""
    folder = tmp_path_factory.mktemp("slow")
    (folder / "model.py").write_text(SLOW_MODEL)
    spec, url = servers.runtime_spec(name="slow-runtime", model_name="slow", model_dir=folder, workdir=folder)
    with servers.running(spec):
        yield url


def loadtest(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run `modelplane-loadtest ARGS` in a child process (locust patches the process it runs in)."""
    env = {key: value for key, value in os.environ.items() if key != "LOCUST_SKIP_MONKEY_PATCH"}
    return subprocess.run(
        [sys.executable, "-m", "modelplane.loadtest", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
