"""Shared fixtures of the pure reconcile tests: object builders and the golden-file comparison.

Golden files are refreshed only on request: `MODELPLANE_REFRESH_GOLDENS=1 .venv/bin/python -m pytest
controllers/tests/reconcile` rewrites them (review the diff before committing); a normal run only compares.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
from collections.abc import Callable
from typing import Any

import pytest
import yaml

GOLDEN_DIR = pathlib.Path(__file__).parent / "golden"


def _plan_as_data(plan: Any) -> dict[str, Any]:
    return yaml.safe_load(yaml.safe_dump(_plain(dataclasses.asdict(plan))))


@pytest.fixture
def plan_as_data() -> Callable[[Any], dict[str, Any]]:
    """Turn a Plan into plain data for YAML (tuples to lists, dataclasses to dicts)."""
    return _plan_as_data


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[Any], None]:
    """Compare data with `golden/<test>-<id>.yaml`; rewrite it instead when MODELPLANE_REFRESH_GOLDENS=1."""

    def check(data: Any) -> None:
        node = request.node
        name = pathlib.Path(str(node.path)).stem.removeprefix("test_")
        case = node.callspec.id if hasattr(node, "callspec") else "default"
        path = GOLDEN_DIR / f"{name}--{case}.yaml"
        text = yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=120)
        if os.environ.get("MODELPLANE_REFRESH_GOLDENS") == "1":
            path.write_text(text)
            return
        if not path.is_file():
            pytest.fail(f"{path.name} does not exist; create it with MODELPLANE_REFRESH_GOLDENS=1 and review it")
        assert yaml.safe_load(path.read_text()) == yaml.safe_load(text), f"differs from {path.name}"

    return check
