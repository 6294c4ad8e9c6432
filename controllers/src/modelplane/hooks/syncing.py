"""Keep a release's ClusterServingRuntimes in step with what its chart renders, from hook Jobs.

After install and upgrade, `apply` waits until the ClusterServingRuntime CRD is Established (it may arrive in the
same release), server-side applies every rendered runtime with the hooks' one field manager, then deletes the
runtimes it applied before that the chart no longer renders. Before uninstall, `delete` removes every runtime it
applied. What the hook owns is decided by `runtimesets` (the release's labels and the field manager's entry);
everything else in the cluster is left alone.
"""

from __future__ import annotations

import contextlib
import pathlib
import time
from collections.abc import Callable, Mapping
from typing import Any

from kubernetes.dynamic.exceptions import NotFoundError
from modelplane.hooks import connecting, crds, errors, runtimesets, upgrading

POLL_SECONDS = 1.0


def _served(cluster: connecting.Cluster, *, timeout: float) -> Any:
    """The dynamic resource of ClusterServingRuntimes once the CRD is Established and discovery lists the kind."""
    deadline = time.monotonic() + timeout
    while True:
        if crds.established(upgrading.live_crd(cluster, name=runtimesets.CRD)):
            try:
                return cluster.resource(api_version=runtimesets.API_VERSION, kind=runtimesets.KIND)
            except errors.HookError:
                pass  # Established, but discovery does not list the kind yet: ask again.
        if time.monotonic() > deadline:
            raise errors.HookError(
                f"CRD {runtimesets.CRD} is not Established after {timeout:.0f} s; install the modelplane-crds chart "
                "(or components.modelplaneCrds in the platform chart) and check the CRD's conditions"
            )
        time.sleep(POLL_SECONDS)


def _owned(resource: Any, *, selector: Mapping[str, str]) -> list[dict[str, Any]]:
    text = ",".join(f"{k}={v}" for k, v in selector.items())
    listed: list[dict[str, Any]] = resource.get(label_selector=text).to_dict().get("items") or []
    return listed


def _delete(resource: Any, names: list[str], *, timeout: float, log: Callable[[str], None]) -> None:
    """Delete the named runtimes and wait until each is gone (a finalizer someone added may hold one)."""
    for name in names:
        with contextlib.suppress(NotFoundError):
            resource.delete(name=name)
        log(f"deleted {runtimesets.KIND} {name}")
    deadline = time.monotonic() + timeout
    pending = list(names)
    while pending:
        for name in list(pending):
            try:
                resource.get(name=name)
            except NotFoundError:
                pending.remove(name)
        if not pending:
            return
        if time.monotonic() > deadline:
            raise errors.HookError(
                f"{runtimesets.KIND}(s) {', '.join(pending)} still exist {timeout:.0f} s after deletion; check "
                "their finalizers (kubectl get clusterservingruntime NAME -o yaml)"
            )
        time.sleep(POLL_SECONDS)


def apply(
    cluster: connecting.Cluster,
    *,
    directory: pathlib.Path,
    selector: Mapping[str, str],
    timeout: float,
    log: Callable[[str], None],
) -> tuple[list[str], list[str]]:
    """Apply the rendered runtimes and prune the ones applied before but no longer rendered; returns the names
    applied and the names pruned."""
    desired = runtimesets.load(directory, selector=selector)
    resource = _served(cluster, timeout=timeout)
    applied = []
    for runtime in desired:
        cluster.apply(runtime)
        applied.append(str(runtime["metadata"]["name"]))
        log(f"applied {runtimesets.KIND} {applied[-1]}")
    stale = runtimesets.stale(
        _owned(resource, selector=selector), keep=applied, selector=selector, manager=connecting.FIELD_MANAGER
    )
    _delete(resource, stale, timeout=timeout, log=log)
    return applied, stale


def delete(
    cluster: connecting.Cluster, *, selector: Mapping[str, str], timeout: float, log: Callable[[str], None]
) -> list[str]:
    """Delete every runtime the hook applied; nothing to do when the CRD is gone. Returns the names deleted."""
    if upgrading.live_crd(cluster, name=runtimesets.CRD) is None:
        log(f"CRD {runtimesets.CRD} is not installed; no {runtimesets.KIND} to delete")
        return []
    resource = _served(cluster, timeout=timeout)
    names = runtimesets.stale(
        _owned(resource, selector=selector), keep=(), selector=selector, manager=connecting.FIELD_MANAGER
    )
    _delete(resource, names, timeout=timeout, log=log)
    return names
