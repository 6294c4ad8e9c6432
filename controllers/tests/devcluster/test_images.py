"""Covers devcluster.images: rule parsing, prefix matching, and which pods run locally."""

from __future__ import annotations

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
