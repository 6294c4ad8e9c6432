"""Covers runtimes/Dockerfile, read with `dockerfile` (Docker's own Go parser; no Docker engine runs here): a builder
stage that makes a wheel, a final python:3.11-slim stage that installs only wheels, runs as uid 1000, holds no
compiler, exposes 8080/8081, has `modelplane-runtime` as its entrypoint and sets MODELPLANE_HTTP_HOST=0.0.0.0 (so
a pod's server takes traffic from its Service without --http_host) and a /mnt/models the server's user owns; the
storage initializer's console script is part of the installed distribution; the builder's `pip wheel` step run
here makes a wheel holding both commands; .dockerignore keeps the build context to pyproject.toml and src/."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys
import tomllib
import zipfile

import dockerfile
import pytest

RUNTIMES = pathlib.Path(__file__).resolve().parents[1]
COMPILERS = ("build-essential", "gcc", "g++", "clang", "make ", "cmake")


@pytest.fixture(scope="module")
def stages() -> list[list[dockerfile.Command]]:
    commands = dockerfile.parse_file(str(RUNTIMES / "Dockerfile"))
    result: list[list[dockerfile.Command]] = []
    for command in commands:
        if command.cmd == "FROM":
            result.append([])
        if result:
            result[-1].append(command)
    return result


def args_of(commands: list[dockerfile.Command]) -> dict[str, str]:
    """The ARG defaults in force in a stage, for resolving ${NAME} in FROM lines."""
    return dict(value.split("=", 1) for command in commands if command.cmd == "ARG" for value in command.value)


def test_two_stages_builder_then_slim_runtime(stages: list[list[dockerfile.Command]]) -> None:
    preamble = dockerfile.parse_file(str(RUNTIMES / "Dockerfile"))
    defaults = args_of([command for command in preamble if command.start_line < stages[0][0].start_line])
    bases = [stage[0].value[0].replace("${PYTHON_IMAGE}", defaults["PYTHON_IMAGE"]) for stage in stages]
    names = [stage[0].value[2] for stage in stages]
    assert bases == ["python:3.11-slim", "python:3.11-slim"]
    assert names == ["builder", "runtime"]


def test_builder_makes_a_wheel(stages: list[list[dockerfile.Command]]) -> None:
    runs = " ".join(command.value[0] for command in stages[0] if command.cmd == "RUN")
    assert "pip wheel" in runs
    assert "--wheel-dir /wheels" in runs


def test_final_stage_installs_only_wheels_and_no_compiler(stages: list[list[dockerfile.Command]]) -> None:
    final = stages[-1]
    runs = [command.original for command in final if command.cmd == "RUN"]
    install = [run for run in runs if "pip install" in run]
    assert install, "the final stage installs nothing"
    assert all("--no-index" in run and "--find-links /wheels" in run for run in install)
    text = " ".join(runs).lower()
    assert not [compiler for compiler in COMPILERS if compiler in text]
    assert not [command for command in final if command.cmd == "COPY" and "/wheels" not in command.original]


def test_final_stage_runs_as_uid_1000(stages: list[list[dockerfile.Command]]) -> None:
    users = [command.value[0] for command in stages[-1] if command.cmd == "USER"]
    assert users, "no USER: the image would run as root"
    assert users[-1].split(":")[0] == "1000"
    created = " ".join(command.value[0] for command in stages[-1] if command.cmd == "RUN")
    assert "useradd --uid 1000" in created


def test_entrypoint_and_ports(stages: list[list[dockerfile.Command]]) -> None:
    final = stages[-1]
    [entrypoint] = [command for command in final if command.cmd == "ENTRYPOINT"]
    assert entrypoint.json
    assert entrypoint.value == ("modelplane-runtime",)
    exposed = {port for command in final if command.cmd == "EXPOSE" for port in command.value}
    assert exposed == {"8080", "8081"}


def test_the_image_listens_on_all_addresses_by_default(stages: list[list[dockerfile.Command]]) -> None:
    final = stages[-1]
    env = dict(
        zip(
            *[iter(value for command in final if command.cmd == "ENV" for value in command.value)] * 2,
            strict=True,
        )
    )
    assert env["MODELPLANE_HTTP_HOST"] == "0.0.0.0"
    runs = " ".join(command.value[0] for command in final if command.cmd == "RUN")
    assert "chown 1000:1000 /mnt/models" in runs


def test_both_console_scripts_ship_in_the_distribution() -> None:
    scripts = tomllib.loads((RUNTIMES / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["modelplane-runtime"] == "modelplane.runtime.__main__:main"
    assert scripts["modelplane-storage-init"] == "modelplane.runtime.storage.__main__:main"


def test_the_builder_step_makes_a_wheel_with_both_commands(tmp_path: pathlib.Path) -> None:
    """The builder stage's own step, `pip wheel` of this folder, run here (without dependencies) on a copy of the
    build context the .dockerignore admits."""
    context = tmp_path / "context"
    context.mkdir()
    shutil.copy(RUNTIMES / "pyproject.toml", context)
    shutil.copytree(RUNTIMES / "src", context / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path / "wheels"),
            str(context),
        ],
        check=True,
        timeout=300,
    )
    [wheel] = (tmp_path / "wheels").glob("modelplane_runtime-*.whl")
    with zipfile.ZipFile(wheel) as bundle:
        names = set(bundle.namelist())
        [entry_points] = [name for name in names if name.endswith("entry_points.txt")]
        scripts = bundle.read(entry_points).decode()
    assert "modelplane-runtime = modelplane.runtime.__main__:main" in scripts
    assert "modelplane-storage-init = modelplane.runtime.storage.__main__:main" in scripts
    assert {"modelplane/runtime/storage/__main__.py", "modelplane/runtime/payloads/delivering.py"} <= names


def test_build_context_is_only_the_package() -> None:
    lines = [
        line for line in (RUNTIMES / ".dockerignore").read_text().splitlines() if line and not line.startswith("#")
    ]
    assert lines[0] == "*"
    assert {"!pyproject.toml", "!src/"} <= set(lines)
