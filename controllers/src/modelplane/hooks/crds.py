"""What a CRD upgrade may do, decided from the live CRD and the new one: pure, no cluster access.

Kubernetes refuses a CRD update that drops a version still listed in `status.storedVersions`, with a terse message,
after Helm has already changed other objects. Checking first, with the live CRD in hand, turns that into a clear
refusal before anything changes. A downgrade (the new CRD's storage version older than the live one, in Kubernetes'
version priority) is refused too: objects written by the newer version may carry fields the older schema prunes.
"""

from __future__ import annotations

import pathlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml
from modelplane.hooks import errors

_VERSION = re.compile(r"^v(?P<major>\d+)(?:(?P<stage>alpha|beta)(?P<minor>\d+))?$")
_STAGE_RANK = {"alpha": 0, "beta": 1, None: 2}


def version_key(version: str) -> tuple[int, int, int, str]:
    """Sort key of a CRD version in Kubernetes' priority: GA > beta > alpha, then by number; others last by name."""
    m = _VERSION.match(version)
    if not m:
        return (-1, 0, 0, version)
    return (_STAGE_RANK[m["stage"]], int(m["major"]), int(m["minor"] or 0), "")


def storage_version(crd: Mapping[str, Any]) -> str:
    """The version a CRD stores objects in; a CRD without exactly one is malformed."""
    stored = [v["name"] for v in crd.get("spec", {}).get("versions", []) if v.get("storage")]
    if len(stored) != 1:
        name = crd.get("metadata", {}).get("name", "?")
        raise errors.HookError(f"CRD {name} marks {len(stored)} versions as storage; exactly one must be")
    return str(stored[0])


def upgrade_problems(*, live: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[str]:
    """Why applying `new` over `live` would break stored objects; an empty list means the upgrade is safe."""
    if live is None:
        return []
    name = new.get("metadata", {}).get("name", "?")
    new_versions = {v["name"]: v for v in new.get("spec", {}).get("versions", [])}
    problems = []
    for stored in live.get("status", {}).get("storedVersions", []):
        if stored not in new_versions:
            problems.append(
                f"{name}: objects are stored as {stored}, which the new CRD no longer lists; migrate them to "
                f"{storage_version(new)} (read and write each object back), remove {stored} from "
                "status.storedVersions, then upgrade"
            )
        elif not new_versions[stored].get("served", False):
            problems.append(
                f"{name}: objects are stored as {stored}, which the new CRD stops serving; keep {stored} served "
                "until every object is migrated"
            )
    live_storage, new_storage = storage_version(live), storage_version(new)
    if version_key(new_storage) < version_key(live_storage):
        problems.append(
            f"{name}: the new CRD stores {new_storage}, older than the installed {live_storage}: this is a "
            "downgrade; install a chart at least as new as the one in the cluster (helm history shows it)"
        )
    return problems


def load(directory: pathlib.Path) -> list[dict[str, Any]]:
    """Every CustomResourceDefinition in the *.yaml files of a directory, in file-name order."""
    if not directory.is_dir():
        raise errors.HookError(f"{directory} is not a directory; pass the folder the CRD files are mounted in")
    crds = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
        except yaml.YAMLError as exc:
            raise errors.HookError(f"{path} is not valid YAML: {exc}") from exc
        for doc in docs:
            if doc.get("kind") != "CustomResourceDefinition":
                raise errors.HookError(f"{path} holds a {doc.get('kind')!r}; only CustomResourceDefinitions belong")
            crds.append(doc)
    if not crds:
        raise errors.HookError(f"{directory} holds no CRD (*.yaml); check the hook's ConfigMap volume")
    return crds


def established(crd: Mapping[str, Any] | None) -> bool:
    """Whether a CRD as stored (None: absent) has the condition Established=True, i.e. its kind is served."""
    conditions = (crd or {}).get("status", {}).get("conditions") or []
    return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)


def names(crds: Sequence[Mapping[str, Any]]) -> list[str]:
    """The names of the given CRDs."""
    return [str(c["metadata"]["name"]) for c in crds]
