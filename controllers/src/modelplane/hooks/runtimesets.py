"""The set of ClusterServingRuntimes a release installs through its hook Job: read from the folder the chart
renders them into, checked, and compared with what the cluster holds. Pure: no cluster access.

A release that brings the serving.kserve.io CRDs itself cannot carry ClusterServingRuntimes as plain templates
(Helm maps every manifest of a release to a served kind before it creates anything), so the modelplane chart can
render them into a ConfigMap instead (`runtimes.installWith: hook`) and a hook Job applies them. The hook owns
exactly the runtimes that carry the release's labels (the selector the chart passes) and that its own field
manager applied: those, and only those, are pruned when the chart stops rendering them and deleted on uninstall.
"""

from __future__ import annotations

import pathlib
import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any

import yaml
from modelplane.hooks import errors

API_VERSION = "serving.kserve.io/v1alpha1"
KIND = "ClusterServingRuntime"
CRD = "clusterservingruntimes.serving.kserve.io"

# A label key (optional DNS prefix, then a name) and a label value, as Kubernetes accepts them.
_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")


def parse_selector(text: str) -> dict[str, str]:
    """`key=value[,key=value...]` as a mapping; the hook's selector must pin labels exactly (no `!=`, `in`...),
    since the same labels are what it writes on every runtime it applies."""
    selector: dict[str, str] = {}
    for term in (t.strip() for t in text.split(",")):
        key, sep, value = term.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or "!" in key or value.startswith("=") or not _KEY.match(key) or not _VALUE.match(value):
            raise errors.HookError(
                f"selector term {term!r} is not `label=value`; pass equalities only, e.g. "
                "app.kubernetes.io/instance=platform,modelplane.io/bundled=true"
            )
        if key in selector:
            raise errors.HookError(f"selector names label {key!r} twice")
        selector[key] = value
    return selector


def selects(obj: Mapping[str, Any], selector: Mapping[str, str]) -> bool:
    """Whether an object's labels carry every label of the selector."""
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return all(labels.get(k) == v for k, v in selector.items())


def load(directory: pathlib.Path, *, selector: Mapping[str, str]) -> list[dict[str, Any]]:
    """Every ClusterServingRuntime in the *.yaml files of `directory`, in file order. An empty set is valid (every
    runtime switched off: the hook then prunes them all). Anything else in the folder, a namespaced or unnamed
    runtime, a name given twice, or one without the selector's labels (the hook could never prune it) is refused."""
    if not directory.is_dir():
        raise errors.HookError(f"{directory} is not a directory; pass the folder the runtimes ConfigMap is mounted in")
    runtimes: list[dict[str, Any]] = []
    seen: set[str] = set()
    for path in sorted(directory.glob("*.yaml")):
        try:
            docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
        except yaml.YAMLError as exc:
            raise errors.HookError(f"{path} is not valid YAML: {exc}") from exc
        for doc in docs:
            if not isinstance(doc, dict) or doc.get("kind") != KIND or doc.get("apiVersion") != API_VERSION:
                found = f"{doc.get('apiVersion')} {doc.get('kind')}" if isinstance(doc, dict) else type(doc).__name__
                raise errors.HookError(f"{path} holds a {found}; only {API_VERSION} {KIND} objects belong here")
            meta = doc.get("metadata") or {}
            name = meta.get("name")
            if not isinstance(name, str) or not name:
                raise errors.HookError(f"{path} holds a {KIND} without metadata.name")
            if meta.get("namespace"):
                raise errors.HookError(f"{KIND} {name} in {path} names a namespace; it is cluster-scoped")
            if name in seen:
                raise errors.HookError(f"{KIND} {name} appears twice in {directory}")
            if not selects(doc, selector):
                missing = {k: v for k, v in selector.items() if (meta.get("labels") or {}).get(k) != v}
                raise errors.HookError(
                    f"{KIND} {name} lacks the labels {missing} of the hook's selector, so a later upgrade could not "
                    "prune it; render it with the release's labels"
                )
            seen.add(name)
            runtimes.append(doc)
    return runtimes


def applied_by(obj: Mapping[str, Any], manager: str) -> bool:
    """Whether `manager` holds fields of the object through server-side apply (an `Apply` managedFields entry)."""
    entries = (obj.get("metadata") or {}).get("managedFields") or []
    return any(e.get("manager") == manager and e.get("operation") == "Apply" for e in entries)


def stale(
    live: Iterable[Mapping[str, Any]], *, keep: Collection[str], selector: Mapping[str, str], manager: str
) -> list[str]:
    """Names of the live runtimes the hook applied before (selector's labels, `manager`'s Apply entry) that are
    not in `keep`, sorted: what an upgrade prunes, or, with nothing kept, what an uninstall deletes."""
    return sorted(
        str(obj["metadata"]["name"])
        for obj in live
        if obj["metadata"]["name"] not in keep and selects(obj, selector) and applied_by(obj, manager)
    )
