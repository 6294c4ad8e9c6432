"""Covers controllers/Dockerfile, read with `dockerfile` (Docker's own Go parser; no Docker engine runs here): a
builder stage that makes wheels of the control plane, a final python:3.11-slim stage that installs only those
wheels, holds no compiler, runs as uid 1000 and has `modelplane` as its entrypoint; that entrypoint is the console
script the distribution declares and the one the local process node runs for the controller image;
.dockerignore keeps the build context to pyproject.toml and src/."""

from __future__ import annotations

import pathlib
import tomllib

import dockerfile
import pytest
from modelplane.devcluster import images

CONTROLLERS = pathlib.Path(__file__).resolve().parents[1]
COMPILERS = ("build-essential", "gcc", "g++", "clang", "make ", "cmake")


@pytest.fixture(scope="module")
def stages() -> dict[str, list[dockerfile.Command]]:
    found: dict[str, list[dockerfile.Command]] = {}
    current: list[dockerfile.Command] | None = None
    for command in dockerfile.parse_file(str(CONTROLLERS / "Dockerfile")):
        if command.cmd == "FROM":
            current = found.setdefault(command.value[2], [])
        if current is not None:
            current.append(command)
    return found


def test_a_builder_then_a_slim_controller_stage(stages: dict[str, list[dockerfile.Command]]) -> None:
    assert list(stages) == ["builder", "controller"]
    preamble = dockerfile.parse_file(str(CONTROLLERS / "Dockerfile"))
    default = next(c.value[0] for c in preamble if c.cmd == "ARG").split("=", 1)[1]
    assert default == "python:3.11-slim"
    assert all(stage[0].value[0] == "${PYTHON_IMAGE}" for stage in stages.values())
    assert any("pip wheel" in c.value[0] for c in stages["builder"] if c.cmd == "RUN")


def test_the_final_stage_installs_wheels_only_and_runs_unprivileged(
    stages: dict[str, list[dockerfile.Command]],
) -> None:
    final = stages["controller"]
    runs = " ".join(c.value[0] for c in final if c.cmd == "RUN")
    assert "--no-index" in runs
    assert "--find-links /wheels" in runs
    assert not [tool for tool in COMPILERS if tool in runs]
    assert not [c for c in final if c.cmd == "COPY"], "the final stage copies nothing but the wheels it mounts"
    assert [c.value for c in final if c.cmd == "USER"] == [("1000:1000",)]


def test_the_entrypoint_is_the_modelplane_console_script(stages: dict[str, list[dockerfile.Command]]) -> None:
    entrypoint = [c.value for c in stages["controller"] if c.cmd == "ENTRYPOINT"]
    assert entrypoint == [("modelplane",)]
    scripts = tomllib.loads((CONTROLLERS / "pyproject.toml").read_text())["project"]["scripts"]
    assert "modelplane" in scripts
    rule = images.rule_for("modelplane/controller:0.1.0", rules=images.DEFAULT_RULES)
    assert rule is not None
    assert rule.entrypoint == "modelplane"


def test_the_build_context_is_pyproject_and_src() -> None:
    lines = [line for line in (CONTROLLERS / ".dockerignore").read_text().splitlines() if not line.startswith("#")]
    assert lines[:3] == ["*", "!pyproject.toml", "!src/"]
