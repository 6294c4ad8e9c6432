"""A container's environment as the kubelet builds it: envFrom, env with valueFrom, and `$(VAR)` expansion.

Also the same expansion for `command` and `args`, and the pod-IP substitution that lets many pods listen on the
same port: a container told to listen on 0.0.0.0 (or to reach its pod's other containers on 127.0.0.1 or
localhost) gets its own loopback pod IP instead, since all pods on the process node share the host's network.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from modelplane.devcluster import errors, sources

_REFERENCE = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.\-]*)\)")
_LOCAL_HOST = re.compile(r"(?<![\w.-])(0\.0\.0\.0|127\.0\.0\.1|localhost)(?![\w-]|\.\d)")
_QUANTITY = re.compile(r"^([+-]?[0-9.]+)([eE][+-]?[0-9]+|[a-zA-Z]*)$")
_SUFFIXES = {
    "": 1.0,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
    "Ki": 2.0**10,
    "Mi": 2.0**20,
    "Gi": 2.0**30,
    "Ti": 2.0**40,
    "Pi": 2.0**50,
    "Ei": 2.0**60,
}


def expand(text: str, env: Mapping[str, str]) -> str:
    """Kubernetes' `$(VAR)` expansion: known names are replaced, unknown ones kept, `$$` escapes a dollar."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1)
        return env.get(name, match.group(0))

    return _REFERENCE.sub(replace, text)


def to_pod_ip(text: str, pod_ip: str) -> str:
    """Replace the wildcard and loopback hosts (0.0.0.0, 127.0.0.1, localhost) in `text` with the pod's IP."""
    return _LOCAL_HOST.sub(pod_ip, text)


def quantity(text: str) -> float:
    """A Kubernetes resource quantity ("500m", "2Gi", "1e3") as a number."""
    match = _QUANTITY.match(str(text).strip())
    if not match:
        raise errors.PlanError(f"resource quantity {text!r} is not valid; write it like 500m, 2, 512Mi or 1Gi")
    number, suffix = match.groups()
    if suffix[:1] in ("e", "E"):
        return float(number + suffix)
    if suffix not in _SUFFIXES:
        raise errors.PlanError(
            f"resource quantity {text!r} has an unknown suffix {suffix!r}; use m, k, M, G, Ki, Mi, Gi"
        )
    return float(number) * _SUFFIXES[suffix]


def _field(pod: Mapping[str, Any], path: str, *, pod_ip: str, host_ip: str) -> str:
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    simple = {
        "metadata.name": meta.get("name", ""),
        "metadata.namespace": meta.get("namespace", ""),
        "metadata.uid": meta.get("uid", ""),
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", "default"),
        "status.podIP": pod_ip,
        "status.podIPs": pod_ip,
        "status.hostIP": host_ip,
        "status.hostIPs": host_ip,
    }
    if path in simple:
        return str(simple[path])
    match = re.fullmatch(r"metadata\.(labels|annotations)\['([^']+)'\]", path)
    if match:
        return str((meta.get(match.group(1)) or {}).get(match.group(2), ""))
    if path in ("metadata.labels", "metadata.annotations"):
        items = sorted((meta.get(path.split(".")[1]) or {}).items())
        return "\n".join(f'{key}="{value}"' for key, value in items)
    raise errors.PlanError(
        f"fieldRef {path!r} is not supported; use metadata.name, metadata.namespace, metadata.uid, "
        "metadata.labels['KEY'], metadata.annotations['KEY'], spec.nodeName, spec.serviceAccountName, "
        "status.podIP or status.hostIP"
    )


def resource_field(container: Mapping[str, Any], ref: Mapping[str, Any], *, node_allocatable: Mapping[str, str]) -> str:
    """A `resourceFieldRef` value: the limit (or request), falling back to the node's allocatable for limits."""
    resource = str(ref.get("resource", ""))
    kind, _, name = resource.partition(".")
    if kind not in ("limits", "requests") or name not in ("cpu", "memory", "ephemeral-storage"):
        raise errors.PlanError(
            f"resourceFieldRef {resource!r} is not supported; use limits.cpu, limits.memory, requests.cpu or "
            "requests.memory"
        )
    resources = container.get("resources") or {}
    raw = (resources.get(kind) or {}).get(name)
    if raw is None and kind == "requests":
        raw = (resources.get("limits") or {}).get(name)
    if raw is None:
        raw = node_allocatable.get(name, "0") if kind == "limits" else "0"
    divisor = quantity(str(ref.get("divisor") or "1"))
    if divisor <= 0:
        raise errors.PlanError(f"resourceFieldRef {resource!r} has divisor {ref.get('divisor')!r}; it must be > 0")
    return str(math.ceil(quantity(str(raw)) / divisor))


def _lookup(
    store: Mapping[str, Mapping[str, bytes]], *, kind: str, name: str, key: str | None, optional: bool
) -> str | None:
    data = store.get(name)
    if data is None:
        if optional:
            return None
        raise errors.PlanError(
            f"{kind} {name!r} not found; create it in the pod's namespace or mark the reference optional"
        )
    if key is None:
        return ""
    if key not in data:
        if optional:
            return None
        raise errors.PlanError(f"{kind} {name!r} has no key {key!r}; add the key or mark the reference optional")
    try:
        return data[key].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.PlanError(f"{kind} {name!r} key {key!r} is not UTF-8 text, so it cannot be an env value") from exc


def container_env(
    pod: Mapping[str, Any],
    container: Mapping[str, Any],
    *,
    found: sources.Sources,
    base: Mapping[str, str],
    pod_ip: str,
    host_ip: str,
    node_allocatable: Mapping[str, str],
) -> dict[str, str]:
    """The container's environment: `base` (the image's), then envFrom in order, then env in order."""
    env = dict(base)
    for env_from in container.get("envFrom") or []:
        prefix = str(env_from.get("prefix") or "")
        if "configMapRef" in env_from:
            ref, store, kind = env_from["configMapRef"], found.configmaps, "ConfigMap"
        elif "secretRef" in env_from:
            ref, store, kind = env_from["secretRef"], found.secrets, "Secret"
        else:
            raise errors.PlanError(f"envFrom entry {dict(env_from)!r} names neither configMapRef nor secretRef")
        optional = bool(ref.get("optional"))
        if _lookup(store, kind=kind, name=ref["name"], key=None, optional=optional) is None:
            continue
        for key in sorted(store[ref["name"]]):
            text = _lookup(store, kind=kind, name=ref["name"], key=key, optional=optional)
            if text is not None:
                env[prefix + key] = text
    for item in container.get("env") or []:
        name = item["name"]
        if "valueFrom" not in item:
            env[name] = to_pod_ip(expand(str(item.get("value", "")), env), pod_ip)
            continue
        ref = item["valueFrom"]
        value: str | None
        if "fieldRef" in ref:
            value = _field(pod, ref["fieldRef"]["fieldPath"], pod_ip=pod_ip, host_ip=host_ip)
        elif "resourceFieldRef" in ref:
            value = resource_field(container, ref["resourceFieldRef"], node_allocatable=node_allocatable)
        elif "configMapKeyRef" in ref:
            key_ref = ref["configMapKeyRef"]
            value = _lookup(
                found.configmaps,
                kind="ConfigMap",
                name=key_ref["name"],
                key=key_ref["key"],
                optional=bool(key_ref.get("optional")),
            )
        elif "secretKeyRef" in ref:
            key_ref = ref["secretKeyRef"]
            value = _lookup(
                found.secrets,
                kind="Secret",
                name=key_ref["name"],
                key=key_ref["key"],
                optional=bool(key_ref.get("optional")),
            )
        else:
            raise errors.PlanError(f"env {name!r}: valueFrom {sorted(ref)} is not supported")
        if value is not None:
            env[name] = value
    return env


def command_line(
    container: Mapping[str, Any], *, entrypoint: Sequence[str], env: Mapping[str, str], pod_ip: str
) -> list[str]:
    """`command` (or the image's entrypoint) plus `args`, `$(VAR)`-expanded, local hosts turned into the pod IP."""
    command = [str(part) for part in container.get("command") or entrypoint]
    args = [str(part) for part in container.get("args") or []]
    return [to_pod_ip(expand(part, env), pod_ip) for part in command + args]
