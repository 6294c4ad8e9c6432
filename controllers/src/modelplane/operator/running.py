"""Starting the operator: read the configuration, find which child APIs exist, register handlers, run kopf.

Everything is explicit: options come in as a dataclass (parsed by the CLI), handlers go on a fresh registry, the
shared state travels in kopf's `memo`. kopf runs standalone (no peering): leader election on a Lease
(leading.py) decides which replica reconciles, while kopf's watches, caches and webhook server run in every
replica, so a new leader starts with warm caches and admission never depends on who leads.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import pathlib
import socket
import tempfile
import uuid
from typing import Any

import kopf
from modelplane.operator import (
    admitting,
    certificates,
    clients,
    controlling,
    handlers,
    leading,
    metrics,
    queueing,
    reconciling,
)
from modelplane.reconcile import config as config_mod
from modelplane.reconcile import errors

CONFIGMAP = "inferenceservice-config"
WEBHOOK_CONFIGURATION = "modelplane.serving.kserve.io"
LEASE = "modelplane-controller"
LOG = logging.getLogger("modelplane.operator")


@dataclasses.dataclass(frozen=True)
class Options:
    """How to run the operator (see `modelplane operator --help`)."""

    namespace: str | None = None
    controller_namespace: str = "modelplane-system"
    webhook_addr: str = "127.0.0.1"
    webhook_port: int = 9443
    webhook_host: str | None = None
    cert_dir: pathlib.Path | None = None
    register_webhook: bool = False
    webhook_configuration: str = WEBHOOK_CONFIGURATION
    health_addr: str = "127.0.0.1"
    health_port: int = 8081
    metrics_addr: str = "127.0.0.1"
    #: The port of `/metrics`; 0 serves none.
    metrics_port: int = 0
    workers: int = 16
    leader_election: bool = True
    lease_name: str = LEASE
    identity: str | None = None
    resync_seconds: float = 600.0
    retry_base_seconds: float = 1.0
    retry_max_seconds: float = 300.0


class MetricsPortError(Exception):
    """The /metrics endpoint could not listen where it was told to."""


def identity() -> str:
    """Who this replica is in the Lease: `$POD_NAME`, else the host name (a pod's name), plus a random suffix so
    two processes on one host never share it."""
    base = os.environ.get("POD_NAME") or socket.gethostname() or "modelplane"
    return f"{base}_{uuid.uuid4().hex[:8]}"


def read_config(cluster: clients.Cluster, *, namespace: str) -> config_mod.Config:
    """The configuration from the ConfigMap, or KServe's defaults when there is none (said in the log)."""
    configmap = cluster.get(clients.path(api_version="v1", kind="ConfigMap", namespace=namespace, name=CONFIGMAP))
    if configmap is None:
        LOG.warning("ConfigMap %s/%s not found; using the default configuration", namespace, CONFIGMAP)
        return config_mod.Config()
    return config_mod.from_configmap_data(configmap.get("data") or {})


def available_children(cluster: clients.Cluster) -> set[str]:
    """The child index ids whose resource the API server serves (Knative, Istio or Gateway API may be absent)."""
    found: set[str] = set()
    served: dict[str, set[str]] = {}
    for index_id, (group, version, plural, _) in handlers.CHILDREN.items():
        group_version = f"{group}/{version}" if group else version
        if group_version not in served:
            answer = cluster.get("/api/v1" if not group else f"/apis/{group_version}") or {}
            served[group_version] = {r.get("name") for r in answer.get("resources") or []}
        if plural in served[group_version]:
            found.add(index_id)
    return found


def may_watch(cluster: clients.Cluster, *, group: str, resource: str) -> bool:
    """Whether this operator's credentials may list and watch `resource` cluster-wide (a SelfSubjectAccessReview)."""
    for verb in ("list", "watch"):
        review = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": {"group": group, "resource": resource, "verb": verb}},
        }
        answer = cluster.request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body=review) or {}
        if not (answer.get("status") or {}).get("allowed"):
            return False
    return True


def build_controller(options: Options, *, state: reconciling.State) -> controlling.Controller:
    """The work queue, resync and (unless turned off) leader election for `options`."""
    election = (
        leading.Election(name=options.lease_name, namespace=options.controller_namespace, identity=state.instance)
        if options.leader_election
        else None
    )
    return controlling.Controller(
        state,
        workers=options.workers,
        backoff=queueing.Backoff(
            base=min(options.retry_base_seconds, options.retry_max_seconds), cap=options.retry_max_seconds
        ),
        resync_seconds=options.resync_seconds,
        election=election,
    )


def build_registry(
    *,
    options: Options,
    available: set[str],
    cert: tuple[pathlib.Path, pathlib.Path],
    controller: controlling.Controller,
) -> kopf.OperatorRegistry:
    """A registry with login, settings, the caches and queueing handlers, and the webhook."""
    registry = kopf.OperatorRegistry()

    @kopf.on.login(registry=registry)
    def login(**kwargs: Any) -> kopf.ConnectionInfo | None:
        return kopf.login_via_client(**kwargs)

    @kopf.on.startup(registry=registry)
    def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
        settings.posting.enabled = False  # reconciles post their own Events (posting.py); kopf's are not needed
        settings.watching.server_timeout = 600
        # Bounded concurrency and prompt clean-up of kopf's per-object workers keep memory flat under a creation
        # storm; the handlers only queue keys, and reconciles run in the controller's own `workers` threads.
        settings.queueing.worker_limit = options.workers * 8
        settings.queueing.idle_timeout = 1.0
        settings.process.ultimate_exiting_timeout = 30
        settings.admission.server = kopf.WebhookServer(
            addr=options.webhook_addr,
            port=options.webhook_port,
            host=options.webhook_host or options.webhook_addr,
            certfile=str(cert[0]),
            pkeyfile=str(cert[1]),
        )
        if options.register_webhook:
            settings.admission.managed = options.webhook_configuration

    handlers.register(registry, available=available, controller=controller)
    admitting.register(registry, ignore_failures=options.register_webhook)
    return registry


def run(options: Options) -> int:
    """Run until interrupted; 2 when the configuration is unusable, 1 when the cluster cannot be reached."""
    try:
        cluster = clients.Cluster.connect(pool_size=options.workers * 2)
        config = read_config(cluster, namespace=options.controller_namespace)
        available = available_children(cluster)
        endpoints = may_watch(cluster, group="discovery.k8s.io", resource="endpointslices")
    except errors.ConfigError as exc:
        LOG.error("%s/%s: %s", options.controller_namespace, CONFIGMAP, exc)
        return 2
    except clients.ApiError as exc:
        LOG.error("cannot talk to the API server: %s", exc)
        return 1
    LOG.info("watching children: %s", ", ".join(sorted(available)))
    if not endpoints:
        # An operator upgraded before its ClusterRole: keep serving InferenceServices, say what TrainedModels lack.
        LOG.error(
            "may not list/watch endpointslices.discovery.k8s.io, so TrainedModels cannot be loaded into replicas; "
            "apply the ClusterRole of this version (helm upgrade, or overlays/bases/rbac)"
        )
    with tempfile.TemporaryDirectory(prefix="modelplane-webhook-") as scratch:
        if options.cert_dir is not None:
            cert = (options.cert_dir / "tls.crt", options.cert_dir / "tls.key")
        else:
            cert = certificates.self_signed(pathlib.Path(scratch) / "certs")
        state = reconciling.State(cluster=cluster, config=config, instance=options.identity or identity())
        controller = build_controller(options, state=state)
        controller.endpoints_watched = endpoints
        registry = build_registry(options=options, available=available, cert=cert, controller=controller)
        memo = kopf.Memo(state=state, metrics=controller.metrics)
        try:
            asyncio.run(_operate(registry=registry, memo=memo, options=options, controller=controller))
        except MetricsPortError as exc:
            LOG.error("%s (another process holds the port? give --metrics-port another one, or 0 for none)", exc)
            return 2
        finally:
            if options.register_webhook:
                cluster.delete(
                    clients.path(
                        api_version="admissionregistration.k8s.io/v1",
                        kind="ValidatingWebhookConfiguration",
                        namespace=None,
                        name=options.webhook_configuration,
                    )
                )
    return 0


async def _operate(
    *, registry: kopf.OperatorRegistry, memo: kopf.Memo, options: Options, controller: controlling.Controller
) -> None:
    scraping = None
    if options.metrics_port:
        try:
            scraping = await metrics.serve(controller.metrics, addr=options.metrics_addr, port=options.metrics_port)
        except OSError as exc:
            raise MetricsPortError(
                f"cannot serve /metrics on {options.metrics_addr}:{options.metrics_port}: {exc.strerror or exc}"
            ) from None
    controller.start()  # before kopf starts, so kopf's shutdown leaves these tasks to `controller.stop()`
    try:
        await kopf.operator(
            registry=registry,
            memo=memo,
            standalone=True,
            clusterwide=options.namespace is None,
            namespaces=[options.namespace] if options.namespace else [],
            liveness_endpoint=f"http://{options.health_addr}:{options.health_port}/healthz",
        )
    finally:
        await controller.stop()
        if scraping is not None:
            await scraping.cleanup()
