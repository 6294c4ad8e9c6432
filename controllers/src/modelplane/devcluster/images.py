"""Which images the process node runs, and which console script of `.venv/bin/` stands in for each image.

An image is Modelplane's own when its reference starts with one of the configured prefixes; each prefix names the
console script that is the image's entrypoint (the runtime image runs `modelplane-runtime`, the controller image
`modelplane`). A container's `command` (when set) names a console script or an absolute path instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from modelplane.devcluster import errors


@dataclasses.dataclass(frozen=True)
class ImageRule:
    """Images whose reference starts with `prefix` run `entrypoint` (a console script name in `.venv/bin/`)."""

    prefix: str
    entrypoint: str


DEFAULT_RULES = (
    ImageRule(prefix="modelplane/runtime:", entrypoint="modelplane-runtime"),
    ImageRule(prefix="modelplane/controller:", entrypoint="modelplane"),
)


def parse_rule(text: str) -> ImageRule:
    """`PREFIX=ENTRYPOINT` from the command line, such as `modelplane/runtime:=modelplane-runtime`."""
    prefix, sep, entrypoint = text.partition("=")
    if not sep or not prefix or not entrypoint or "/" in entrypoint:
        raise errors.PlanError(
            f"image rule {text!r} must read PREFIX=ENTRYPOINT with a console script name, "
            "such as modelplane/runtime:=modelplane-runtime"
        )
    return ImageRule(prefix=prefix, entrypoint=entrypoint)


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
