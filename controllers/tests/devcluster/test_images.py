"""Covers devcluster.images: rule parsing, prefix matching, which pods run locally, and the runtime image's
environment (the same MODELPLANE_HTTP_HOST as runtimes/Dockerfile sets, with 0.0.0.0 made the pod's IP)."""

from __future__ import annotations

import pathlib
import re

import pytest
from modelplane.devcluster import errors, images


def test_default_rules_map_images_to_console_scripts() -> None:
    runtime = images.rule_for("modelplane/runtime:0.1.0", rules=images.DEFAULT_RULES)
    controller = images.rule_for("modelplane/controller:0.1.0", rules=images.DEFAULT_RULES)
    assert runtime is not None
    assert runtime.entrypoint == "modelplane-runtime"
    assert controller is not None
    assert controller.entrypoint == "modelplane"
    assert images.rule_for("kserve/sklearnserver:v0.14", rules=images.DEFAULT_RULES) is None


@pytest.mark.parametrize("text", ["noequals", "=x", "p=", "p=/abs/path"])
def test_bad_rules_are_rejected(text: str) -> None:
    with pytest.raises(errors.PlanError, match="PREFIX=ENTRYPOINT"):
        images.parse_rule(text)


def test_a_pod_runs_locally_only_when_every_container_is_ours() -> None:
    ours = {"image": "modelplane/runtime:0.1.0"}
    theirs = {"image": "busybox:1"}
    assert images.runs_locally({"spec": {"containers": [ours], "initContainers": [ours]}}, rules=images.DEFAULT_RULES)
    assert not images.runs_locally(
        {"spec": {"containers": [ours], "initContainers": [theirs]}}, rules=images.DEFAULT_RULES
    )
    assert not images.runs_locally({"spec": {"containers": []}}, rules=images.DEFAULT_RULES)


DOCKERFILE = pathlib.Path(__file__).resolve().parents[3] / "runtimes" / "Dockerfile"


def test_the_runtime_rule_sets_what_the_runtime_image_sets() -> None:
    runtime = images.rule_for("modelplane/runtime:0.1.0", rules=images.DEFAULT_RULES)
    assert runtime is not None
    text = DOCKERFILE.read_text()
    for name, value in runtime.env:
        found = re.search(rf"^\s*(?:ENV\s+)?{name}=(\S+)", text, re.MULTILINE)
        assert found is not None, f"runtimes/Dockerfile sets no {name}"
        assert found.group(1) == value
    assert dict(runtime.env) == {"MODELPLANE_HTTP_HOST": "0.0.0.0"}


def test_image_env_listens_on_the_pod_ip() -> None:
    runtime = images.rule_for("modelplane/runtime:0.1.0", rules=images.DEFAULT_RULES)
    controller = images.rule_for("modelplane/controller:0.1.0", rules=images.DEFAULT_RULES)
    assert runtime is not None
    assert controller is not None
    assert images.image_env(runtime, pod_ip="127.10.0.7") == {"MODELPLANE_HTTP_HOST": "127.10.0.7"}
    assert images.image_env(controller, pod_ip="127.10.0.7") == {}


def test_a_rule_for_the_runtime_script_gets_the_runtime_image_env() -> None:
    assert images.parse_rule("registry.example/runtime:=modelplane-runtime").env == images.RUNTIME_IMAGE_ENV
    assert images.parse_rule("registry.example/ctl:=modelplane").env == ()
