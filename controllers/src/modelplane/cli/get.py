"""`modelplane get isvc`: lists InferenceServices with the columns `kubectl get isvc` shows.

The table is computed by pure functions from the objects (so it is tested without a cluster); `run` only lists
them through the Kubernetes API with the current kubeconfig.
"""

from __future__ import annotations

import argparse
import datetime
import os
from collections.abc import Mapping, Sequence
from typing import Any

from modelplane.cli import errors

HELP = "List InferenceServices (`get isvc`) with the columns kubectl shows: URL, READY, PREV, LATEST, revisions, AGE."
RESOURCES = ("isvc", "inferenceservice", "inferenceservices")
COLUMNS = ("NAME", "URL", "READY", "PREV", "LATEST", "PREVROLLEDOUTREVISION", "LATESTREADYREVISION", "AGE")


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the subcommand's arguments."""
    parser.add_argument("resource", choices=RESOURCES, help="what to list (InferenceServices)")
    parser.add_argument("name", nargs="?", help="only this InferenceService (give it before the options)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("-n", "--namespace", help="the namespace (default: the kubeconfig context's, else default)")
    where.add_argument("-A", "--all-namespaces", action="store_true", help="list across all namespaces")


def run(args: argparse.Namespace) -> int:
    """List and print."""
    namespace, items = _list(namespace=args.namespace, all_namespaces=args.all_namespaces, name=args.name)
    if not items and args.name is not None:
        raise errors.CliError(f"InferenceService {args.name!r} not found in namespace {namespace}", exit_status=1)
    if not items:
        print("No InferenceServices found" + ("." if args.all_namespaces else f" in namespace {namespace}."))
        return 0
    now = datetime.datetime.now(datetime.UTC)
    print(table(items, now=now, with_namespace=args.all_namespaces), end="")
    return 0


def _list(*, namespace: str | None, all_namespaces: bool, name: str | None) -> tuple[str | None, list[dict[str, Any]]]:
    """The namespace looked in (None for all) and the InferenceServices found there."""
    from kubernetes import client, config
    from kubernetes.client.exceptions import ApiException
    from kubernetes.config.config_exception import ConfigException
    from urllib3.exceptions import HTTPError

    # The client reads KUBECONFIG once, when it is imported; read it now instead.
    path = os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
    try:
        load: Any = config.load_kube_config  # the client leaves these two untyped
        contexts: Any = config.list_kube_config_contexts
        load(config_file=path)
        if namespace is None and not all_namespaces:
            _, active = contexts(config_file=path)
            namespace = active.get("context", {}).get("namespace") or "default"
    except (ConfigException, OSError) as error:
        raise errors.CliError(f"cannot load a kubeconfig ({error}): set KUBECONFIG or run `make kubeconfig`") from error
    api = client.CustomObjectsApi()
    group, version, plural = "serving.kserve.io", "v1beta1", "inferenceservices"
    listed: Any
    try:
        if name is not None:
            if namespace is None:
                raise errors.CliError("give -n NAMESPACE with a NAME (or leave out -A)")
            found: dict[str, Any] = api.get_namespaced_custom_object(group, version, namespace, plural, name)  # type: ignore[assignment,unused-ignore]
            return namespace, [found]
        if namespace is None:
            listed = api.list_cluster_custom_object(group, version, plural)
        else:
            listed = api.list_namespaced_custom_object(group, version, namespace, plural)
    except ApiException as error:
        if error.status == 404 and name is not None and "inferenceservices" in str(error.body):
            return namespace, []
        if error.status == 404:
            raise errors.CliError("the InferenceService CRD is not installed: run `make install`") from error
        raise errors.CliError(f"the API server refused the request: {error.status} {error.reason}") from error
    except HTTPError as error:
        raise errors.CliError(f"cannot reach the API server: {error}") from error
    items: list[dict[str, Any]] = listed.get("items", [])
    return namespace, items


def table(items: Sequence[Mapping[str, Any]], *, now: datetime.datetime, with_namespace: bool) -> str:
    """The rows under the header, aligned like kubectl: columns padded to the widest cell plus three spaces."""
    header: tuple[str, ...] = ("NAMESPACE", *COLUMNS) if with_namespace else COLUMNS
    rows = [header]
    for item in sorted(items, key=lambda i: (_get(i, "metadata", "namespace"), _get(i, "metadata", "name"))):
        row = row_of(item, now=now)
        rows.append((_get(item, "metadata", "namespace"), *row) if with_namespace else row)
    widths = [max(len(row[index]) for row in rows) for index in range(len(header))]
    lines = ["   ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines) + "\n"


def row_of(item: Mapping[str, Any], *, now: datetime.datetime) -> tuple[str, ...]:
    """One InferenceService's cells, computed as the CRD's printer columns define them."""
    status = item.get("status") or {}
    traffic = ((status.get("components") or {}).get("predictor") or {}).get("traffic") or []
    prev: Mapping[str, Any] = next((target for target in traffic if target.get("tag") == "prev"), {})
    latest: Mapping[str, Any] = next((target for target in traffic if target.get("latestRevision") is True), {})
    ready = next((c.get("status", "") for c in status.get("conditions") or [] if c.get("type") == "Ready"), "")
    created = _get(item, "metadata", "creationTimestamp")
    return (
        _get(item, "metadata", "name"),
        str(status.get("url", "")),
        str(ready),
        str(prev.get("percent", "")),
        str(latest.get("percent", "")),
        str(prev.get("revisionName", "")),
        str(latest.get("revisionName", "")),
        age(created, now=now) if created else "",
    )


def age(timestamp: str, *, now: datetime.datetime) -> str:
    """kubectl's short age ("45s", "3m12s", "5h", "2d3h") of an RFC 3339 timestamp."""
    created = datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    seconds = int((now - created).total_seconds())
    if seconds < 0:
        return "0s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 120:
        return f"{seconds}s"
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if hours < 3:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if days < 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    return f"{days // 365}y"


def _get(item: Mapping[str, Any], *keys: str) -> str:
    value: Any = item
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    return "" if value is None else str(value)
