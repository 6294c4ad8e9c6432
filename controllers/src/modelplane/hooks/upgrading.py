"""Pre-upgrade CRD work against the cluster: check the upgrade is safe, then server-side apply the new CRDs.

Helm never updates CRDs it installed from `crds/`, and a CRD first installed some other way (kubectl, an older
KServe) belongs to another field manager; server-side apply with forced conflicts brings either case to exactly the
chart's CRD. Also applies arbitrary manifests whose CRD arrives in the same release (the KnativeServing resource).
"""

from __future__ import annotations

import pathlib
import time
from collections.abc import Callable
from typing import Any

import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from modelplane.hooks import connecting, crds, errors


def live_crd(cluster: connecting.Cluster, *, name: str) -> dict[str, Any] | None:
    """The CRD as stored, or None when it does not exist yet."""
    try:
        obj = client.ApiextensionsV1Api(cluster.api).read_custom_resource_definition(name)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise errors.HookError(f"cannot read CRD {name}: {exc.status} {exc.reason}") from exc
    serialised: dict[str, Any] = cluster.api.sanitize_for_serialization(obj)  # type: ignore[no-untyped-call,unused-ignore]
    return serialised


def check(cluster: connecting.Cluster, *, directory: pathlib.Path) -> list[str]:
    """Every reason the CRDs in `directory` must not replace the live ones (empty: safe to apply)."""
    problems: list[str] = []
    for crd in crds.load(directory):
        problems += crds.upgrade_problems(live=live_crd(cluster, name=crd["metadata"]["name"]), new=crd)
    return problems


def apply_crds(
    cluster: connecting.Cluster, *, directory: pathlib.Path, timeout: float, log: Callable[[str], None]
) -> list[str]:
    """Server-side apply every CRD in `directory` and wait until each is Established; returns their names."""
    new = crds.load(directory)
    for crd in new:
        cluster.apply(crd)
        log(f"applied {crd['metadata']['name']}")
    deadline = time.monotonic() + timeout
    pending = crds.names(new)
    while pending:
        pending = [n for n in pending if not crds.established(live_crd(cluster, name=n))]
        if not pending:
            break
        if time.monotonic() > deadline:
            raise errors.HookError(f"CRDs not Established after {timeout:.0f} s: {', '.join(pending)}")
        time.sleep(1)
    return crds.names(new)


def apply_manifests(
    cluster: connecting.Cluster, *, directory: pathlib.Path, wait_for_crd: float, log: Callable[[str], None]
) -> int:
    """Server-side apply every object in the *.yaml files of `directory`, waiting up to `wait_for_crd` seconds for
    each kind to be served (its CRD may be arriving in the same release). Returns how many objects were applied."""
    if not directory.is_dir():
        raise errors.HookError(f"{directory} is not a directory; pass the folder the manifests are mounted in")
    objects = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            objects += [d for d in yaml.safe_load_all(path.read_text()) if d]
        except yaml.YAMLError as exc:
            raise errors.HookError(f"{path} is not valid YAML: {exc}") from exc
    for obj in objects:
        deadline = time.monotonic() + wait_for_crd
        while True:
            try:
                cluster.apply(obj)
                break
            except errors.HookError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(2)
        log(f"applied {obj['kind']} {obj['metadata'].get('namespace', '')}/{obj['metadata']['name']}")
    return len(objects)
