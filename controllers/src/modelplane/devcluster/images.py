"""Which images the process node runs, and which console script of `.venv/bin/` stands in for each image.

An image is Modelplane's own when its reference starts with one of the configured prefixes; each prefix names the
console script that is the image's entrypoint (the runtime image runs `modelplane-runtime`, the controller image
`modelplane`), and the environment the image sets (its Dockerfile's `ENV`): the runtime image sets
`MODELPLANE_HTTP_HOST=0.0.0.0`, so its server listens on every address of the pod unless `--http_host` says
otherwise. A container's `command` (when set) names a console script or an absolute path instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from modelplane.devcluster import envs, errors

#: What runtimes/Dockerfile sets with ENV in the runtime image, beyond what every image gets.
RUNTIME_IMAGE_ENV = (("MODELPLANE_HTTP_HOST", "0.0.0.0"),)  # noqa: S104 - the pod's own address on the node


@dataclasses.dataclass(frozen=True)
class ImageRule:
    """Images whose reference starts with `prefix` run `entrypoint` (a console script name in `.venv/bin/`), with
    `env` set as the image's ENV sets it (a pod's own `env` overrides it, as it does over an image's)."""

    prefix: str
    entrypoint: str
    env: tuple[tuple[str, str], ...] = ()


DEFAULT_RULES = (
    ImageRule(prefix="modelplane/runtime:", entrypoint="modelplane-runtime", env=RUNTIME_IMAGE_ENV),
    ImageRule(prefix="modelplane/controller:", entrypoint="modelplane"),
)


def image_env(rule: ImageRule, *, pod_ip: str) -> dict[str, str]:
    """The environment the rule's image sets, as the process node gives it: a wildcard or loopback address becomes
    the pod's IP (all pods share the host's network there), as it does in a container's own env and args."""
    return {name: envs.to_pod_ip(value, pod_ip) for name, value in rule.env}


def parse_rule(text: str) -> ImageRule:
    """`PREFIX=ENTRYPOINT` from the command line, such as `modelplane/runtime:=modelplane-runtime`; an image run by
    `modelplane-runtime` is the runtime image (under another prefix), so it gets that image's environment."""
    prefix, sep, entrypoint = text.partition("=")
    if not sep or not prefix or not entrypoint or "/" in entrypoint:
        raise errors.PlanError(
            f"image rule {text!r} must read PREFIX=ENTRYPOINT with a console script name, "
            "such as modelplane/runtime:=modelplane-runtime"
        )
    env = RUNTIME_IMAGE_ENV if entrypoint == "modelplane-runtime" else ()
    return ImageRule(prefix=prefix, entrypoint=entrypoint, env=env)


def rule_for(image: str, *, rules: Sequence[ImageRule]) -> ImageRule | None:
    """The first rule whose prefix the image starts with, or None for an image the process node does not run."""
    for rule in rules:
        if image.startswith(rule.prefix):
            return rule
    return None


def _containers(spec: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    for key in ("initContainers", "containers", "ephemeralContainers"):
        yield from spec.get(key) or []


def runs_locally(pod: Mapping[str, Any], *, rules: Sequence[ImageRule]) -> bool:
    """True when every container (init ones included) of the pod uses an image the process node runs."""
    containers = list(_containers(pod.get("spec") or {}))
    return bool(containers) and all(rule_for(str(c.get("image", "")), rules=rules) for c in containers)
