"""A pod's volumes as host directories, and the files the ConfigMap, Secret, token and downward API ones hold.

Each volume becomes one directory under the pod's folder (or, for a PersistentVolumeClaim, a folder per claim
that outlives the pod; for hostPath, the path itself). Volumes with content are planned as a list of files to
write, so the I/O edge only writes what this module decided.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Mapping, Sequence
from typing import Any

from modelplane.devcluster import envs, errors, sources

SUPPORTED = ("emptyDir", "configMap", "secret", "projected", "downwardAPI", "persistentVolumeClaim", "hostPath")


@dataclasses.dataclass(frozen=True)
class File:
    """One file of a volume: a path relative to the volume, its bytes and its permission bits."""

    path: str
    content: bytes
    mode: int


@dataclasses.dataclass(frozen=True)
class Volume:
    """Where a volume lives on the host; `files` is None for volumes whose content the pod writes itself."""

    name: str
    host_path: str
    files: tuple[File, ...] | None
    refreshed_tokens: bool = False


def _relative(path: str, *, volume: str) -> str:
    clean = posixpath.normpath(path)
    if path.startswith("/") or clean.startswith("..") or clean == ".":
        raise errors.PlanError(f"volume {volume!r}: item path {path!r} must be relative and stay inside the volume")
    return clean


def _key_files(
    data: Mapping[str, bytes] | None,
    *,
    volume: str,
    kind: str,
    name: str,
    items: Sequence[Mapping[str, Any]] | None,
    default_mode: int,
    optional: bool,
) -> list[File]:
    if data is None:
        if optional:
            return []
        raise errors.PlanError(
            f"volume {volume!r}: {kind} {name!r} not found; create it in the pod's namespace or mark it optional"
        )
    if not items:
        return [
            File(path=_relative(key, volume=volume), content=value, mode=default_mode)
            for key, value in sorted(data.items())
        ]
    files = []
    for item in items:
        key = item["key"]
        if key not in data:
            if optional:
                continue
            raise errors.PlanError(f"volume {volume!r}: {kind} {name!r} has no key {key!r}; add it or drop the item")
        mode = int(item.get("mode", default_mode))
        files.append(File(path=_relative(item["path"], volume=volume), content=data[key], mode=mode))
    return files


def _downward_files(
    pod: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]],
    *,
    volume: str,
    default_mode: int,
    pod_ip: str,
    host_ip: str,
    node_allocatable: Mapping[str, str],
) -> list[File]:
    files = []
    containers = {c["name"]: c for c in (pod.get("spec") or {}).get("containers") or []}
    for item in items:
        if "fieldRef" in item:
            env = envs.container_env(
                pod,
                {"env": [{"name": "V", "valueFrom": {"fieldRef": item["fieldRef"]}}]},
                found=sources.Sources(),
                base={},
                pod_ip=pod_ip,
                host_ip=host_ip,
                node_allocatable=node_allocatable,
            )
            value = env["V"]
        elif "resourceFieldRef" in item:
            ref = item["resourceFieldRef"]
            container = containers.get(str(ref.get("containerName", "")))
            if container is None:
                raise errors.PlanError(
                    f"volume {volume!r}: resourceFieldRef names container {ref.get('containerName')!r}, "
                    f"which the pod lacks (it has {', '.join(sorted(containers))})"
                )
            value = envs.resource_field(container, ref, node_allocatable=node_allocatable)
        else:
            raise errors.PlanError(f"volume {volume!r}: downwardAPI item {item.get('path')!r} has no fieldRef")
        mode = int(item.get("mode", default_mode))
        files.append(File(path=_relative(item["path"], volume=volume), content=value.encode(), mode=mode))
    return files


def plan_volumes(
    pod: Mapping[str, Any],
    *,
    found: sources.Sources,
    pod_dir: str,
    claims_dir: str,
    pod_ip: str,
    host_ip: str,
    node_allocatable: Mapping[str, str],
) -> dict[str, Volume]:
    """Every volume of the pod by name, with its host directory and, for content volumes, its files."""
    namespace = str((pod.get("metadata") or {}).get("namespace", "default"))
    planned: dict[str, Volume] = {}
    for spec in (pod.get("spec") or {}).get("volumes") or []:
        name = spec["name"]
        host = posixpath.join(pod_dir, "volumes", name)
        files: list[File] | None
        tokens = False
        if "emptyDir" in spec:
            files = None
        elif "hostPath" in spec:
            host, files = str(spec["hostPath"]["path"]), None
        elif "persistentVolumeClaim" in spec:
            claim = spec["persistentVolumeClaim"]["claimName"]
            host, files = posixpath.join(claims_dir, namespace, claim), None
        elif "configMap" in spec:
            ref = spec["configMap"]
            files = _key_files(
                found.configmaps.get(ref["name"]),
                volume=name,
                kind="ConfigMap",
                name=ref["name"],
                items=ref.get("items"),
                default_mode=int(ref.get("defaultMode", 0o644)),
                optional=bool(ref.get("optional")),
            )
        elif "secret" in spec:
            ref = spec["secret"]
            files = _key_files(
                found.secrets.get(ref["secretName"]),
                volume=name,
                kind="Secret",
                name=ref["secretName"],
                items=ref.get("items"),
                default_mode=int(ref.get("defaultMode", 0o644)),
                optional=bool(ref.get("optional")),
            )
        elif "downwardAPI" in spec:
            ref = spec["downwardAPI"]
            files = _downward_files(
                pod,
                ref.get("items") or [],
                volume=name,
                default_mode=int(ref.get("defaultMode", 0o644)),
                pod_ip=pod_ip,
                host_ip=host_ip,
                node_allocatable=node_allocatable,
            )
        elif "projected" in spec:
            ref = spec["projected"]
            mode = int(ref.get("defaultMode", 0o644))
            files = []
            for source in ref.get("sources") or []:
                if "serviceAccountToken" in source:
                    token_ref = source["serviceAccountToken"]
                    key = sources.token_key(token_ref)
                    if key not in found.tokens:
                        raise errors.PlanError(f"volume {name!r}: no ServiceAccount token was issued for {key}")
                    path = _relative(token_ref["path"], volume=name)
                    files.append(File(path=path, content=found.tokens[key].encode(), mode=mode))
                    tokens = True
                elif "configMap" in source:
                    sub = source["configMap"]
                    files += _key_files(
                        found.configmaps.get(sub["name"]),
                        volume=name,
                        kind="ConfigMap",
                        name=sub["name"],
                        items=sub.get("items"),
                        default_mode=mode,
                        optional=bool(sub.get("optional")),
                    )
                elif "secret" in source:
                    sub = source["secret"]
                    files += _key_files(
                        found.secrets.get(sub["name"]),
                        volume=name,
                        kind="Secret",
                        name=sub["name"],
                        items=sub.get("items"),
                        default_mode=mode,
                        optional=bool(sub.get("optional")),
                    )
                elif "downwardAPI" in source:
                    files += _downward_files(
                        pod,
                        source["downwardAPI"].get("items") or [],
                        volume=name,
                        default_mode=mode,
                        pod_ip=pod_ip,
                        host_ip=host_ip,
                        node_allocatable=node_allocatable,
                    )
                else:
                    raise errors.PlanError(
                        f"volume {name!r}: projected source {sorted(source)} is not supported; use "
                        "serviceAccountToken, configMap, secret or downwardAPI"
                    )
        else:
            kinds = sorted(set(spec) - {"name"})
            raise errors.PlanError(
                f"volume {name!r} of kind {', '.join(kinds)} is not supported by the process node; use one of "
                f"{', '.join(SUPPORTED)}"
            )
        planned[name] = Volume(
            name=name, host_path=host, files=None if files is None else tuple(files), refreshed_tokens=tokens
        )
    return planned
