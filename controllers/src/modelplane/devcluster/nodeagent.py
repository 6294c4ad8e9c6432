"""The process node's agent: registers the Node, renews its Lease, serves the admission webhook, and starts or
stops a `PodRunner` for each pod bound to the node, following a watch on those pods.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import pathlib
import threading
import time
import uuid
from typing import Any

from kubernetes import client, watch
from modelplane.devcluster import (
    addresses,
    backends,
    errors,
    kubeio,
    loopback,
    nodes,
    podplans,
    processes,
    restarts,
    serviceips,
    serviceproxying,
    supervising,
    webhooking,
)

log = logging.getLogger(__name__)
HEARTBEAT = 10.0
STATUS_EVERY = 60.0


@dataclasses.dataclass(frozen=True)
class AgentSettings:
    """How the agent runs: the node's name, its state folder, pod address pool, webhook port and back-off."""

    node_name: str
    root: pathlib.Path
    pool: ipaddress.IPv4Network
    webhook_port: int
    node: podplans.NodeSettings
    backoff: restarts.Backoff = dataclasses.field(default_factory=restarts.Backoff)


class NodeAgent:
    """One process node."""

    def __init__(self, api: client.ApiClient, settings: AgentSettings) -> None:
        self.api = api
        self.settings = settings
        self.core = client.CoreV1Api(api)
        self.runners: dict[str, supervising.PodRunner] = {}
        self.addresses: dict[str, str] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.boot_id = str(uuid.uuid4())
        self._node_uid = ""
        self.cluster = backends.Cluster(services={}, slices={})
        self.proxy = serviceproxying.ServiceProxy()

    # -- node and lease ----------------------------------------------------------------------------------------
    def register(self) -> None:
        """Create the Node (or bring an existing one's labels and taints up to date) and mark it Ready."""
        name = self.settings.node_name
        wanted: Any = nodes.node(name)
        try:
            current = kubeio.raw(self.core.read_node(name, _preload_content=False))
            patch = {"metadata": {"labels": wanted["metadata"]["labels"]}, "spec": {"taints": wanted["spec"]["taints"]}}
            current = kubeio.raw(self.core.patch_node(name, patch, _preload_content=False))
        except client.ApiException as exc:
            if exc.status != 404:
                raise
            current = kubeio.raw(self.core.create_node(wanted, _preload_content=False))
        self._node_uid = current["metadata"]["uid"]
        self._node_status()
        self._renew_lease()

    def _node_status(self) -> None:
        status = nodes.status(
            host_ip=self.settings.node.host_ip,
            allocatable=self.settings.node.allocatable,
            now=supervising.now_text(),
            boot_id=self.boot_id,
        )
        self.core.patch_node_status(self.settings.node_name, {"status": status}, _preload_content=False)

    def _renew_lease(self) -> None:
        leases = client.CoordinationV1Api(self.api)
        name = self.settings.node_name
        now = time_micro()
        body: Any = nodes.lease(name, node_uid=self._node_uid, now=now)
        try:
            leases.patch_namespaced_lease(name, "kube-node-lease", {"spec": body["spec"]}, _preload_content=False)
        except client.ApiException as exc:
            if exc.status != 404:
                raise
            leases.create_namespaced_lease("kube-node-lease", body, _preload_content=False)

    def _heartbeat(self) -> None:
        last_status = time.monotonic()
        while not self.stopping.wait(HEARTBEAT):
            try:
                self._renew_lease()
                if time.monotonic() - last_status >= STATUS_EVERY:
                    self._node_status()
                    last_status = time.monotonic()
            except client.ApiException as exc:
                log.warning("heartbeat failed: %s", exc.reason)
            except kubeio.UNREACHABLE as exc:
                log.warning("heartbeat failed: the API server is unreachable (%s)", exc)

    # -- Services: cluster IPs and names for the node's pods ---------------------------------------------------
    def hosts_text(self, namespace: str, pod_ip: str, hostname: str) -> str:
        """The /etc/hosts of a pod, from the Services as last listed."""
        return serviceips.hosts_file(self.cluster, namespace=namespace, pod_ip=pod_ip, hostname=hostname)

    def _sync_services(self) -> None:
        discovery = client.DiscoveryV1Api(self.api)
        listened: dict[tuple[str, int], tuple[str, ...]] | None = None
        while not self.stopping.is_set():
            try:
                services = kubeio.raw(self.core.list_service_for_all_namespaces(_preload_content=False))["items"]
                slices = kubeio.raw(discovery.list_endpoint_slice_for_all_namespaces(_preload_content=False))["items"]
            except (client.ApiException, *kubeio.UNREACHABLE) as exc:
                log.warning("listing Services failed (%s); retrying", exc)
                self.stopping.wait(2.0)
                continue
            self.cluster = backends.index(services, slices)
            try:
                wanted = serviceips.listeners(self.cluster)
                if wanted != listened:
                    self.proxy.update(wanted)
                    listened = wanted
                with self.lock:
                    runners = list(self.runners.values())
                for runner in runners:
                    meta = runner.pod["metadata"]
                    runner.write_hosts(self.hosts_text(meta["namespace"], runner.pod_ip, meta["name"]))
            except Exception:
                # One bad turn (a pod folder removed mid-write, a slow proxy update) must not end Service routing
                # for the node's lifetime: log it and try again on the next turn.
                log.exception("syncing Service addresses failed; retrying")
                listened = None
            self.stopping.wait(1.0)

    # -- pods --------------------------------------------------------------------------------------------------
    def _address_for(self, pod: dict[str, Any]) -> str:
        uid = pod["metadata"]["uid"]
        if uid in self.addresses:
            return self.addresses[uid]
        used = set(self.addresses.values())
        previous = (pod.get("status") or {}).get("podIP") or ""
        if previous and previous not in used and ipaddress.ip_address(previous) in self.settings.pool:
            address = previous
        else:
            address = addresses.allocate(pool=self.settings.pool, used=used)
        self.addresses[uid] = address
        return address

    def _finished(self, runner: supervising.PodRunner) -> None:
        with self.lock:
            if self.runners.get(runner.uid) is runner:
                del self.runners[runner.uid]
                address = self.addresses.pop(runner.uid, None)
                if address and addresses.needs_device_address(self.settings.pool):
                    loopback.remove(address)

    def sync(self, kind: str, pod: dict[str, Any]) -> None:
        """React to one watch event about a pod bound to this node."""
        meta = pod["metadata"]
        uid = meta["uid"]
        with self.lock:
            runner = self.runners.get(uid)
            if kind == "DELETED":
                if runner is not None:
                    runner.request_stop(grace=1.0, delete=False)
                supervising.remove_volumes(supervising.pod_dir(self.settings.root, pod))
                return
            if meta.get("deletionTimestamp"):
                grace = float(meta.get("deletionGracePeriodSeconds") or 0)
                if runner is not None:
                    runner.request_stop(grace=grace, delete=True)
                else:
                    kubeio.delete_pod_now(self.api, namespace=meta["namespace"], name=meta["name"], uid=uid)
                return
            if runner is not None:
                runner.update(pod)
                return
            if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                return
            try:
                address = self._address_for(pod)
                if addresses.needs_device_address(self.settings.pool):
                    loopback.add(address)
            except errors.DevClusterError as exc:
                log.error("pod %s/%s cannot start: %s", meta["namespace"], meta["name"], exc)
                self.addresses.pop(uid, None)
                return
            runner = supervising.PodRunner(
                api=self.api,
                pod=pod,
                settings=self.settings.node,
                pod_ip=address,
                root=self.settings.root,
                backoff=self.settings.backoff,
                on_exit=self._finished,
                hosts=self.hosts_text,
            )
            self.runners[uid] = runner
            log.info("pod %s/%s: running it at %s", meta["namespace"], meta["name"], address)
            runner.start()

    def _watch_pods(self) -> None:
        selector = f"spec.nodeName={self.settings.node_name}"
        while not self.stopping.is_set():
            try:
                listing = kubeio.raw(
                    self.core.list_pod_for_all_namespaces(field_selector=selector, _preload_content=False)
                )
                for pod in listing.get("items") or []:
                    self.sync("ADDED", pod)
                version = listing["metadata"]["resourceVersion"]
                stream = watch.Watch()
                for event in stream.stream(
                    self.core.list_pod_for_all_namespaces,
                    field_selector=selector,
                    resource_version=version,
                    timeout_seconds=60,
                    allow_watch_bookmarks=False,
                ):
                    if self.stopping.is_set():
                        stream.stop()
                        break
                    if event["type"] == "ERROR":
                        break
                    self.sync(event["type"], event["raw_object"])
            except client.ApiException as exc:
                log.warning("watching pods failed (%s); listing again", exc.reason)
                self.stopping.wait(1.0)
            except kubeio.UNREACHABLE as exc:
                log.warning("watching pods failed: the API server is unreachable (%s)", exc)
                self.stopping.wait(2.0)

    # -- the whole agent ---------------------------------------------------------------------------------------
    def run(self) -> None:
        """Run until `stop()`: register, heartbeat, serve the webhook, run the pods."""
        root = self.settings.root
        root.mkdir(parents=True, exist_ok=True)
        stale = processes.reap_leftovers(root)
        if stale:
            log.info("stopped %d processes an earlier agent left running", stale)
        if addresses.needs_device_address(self.settings.pool):
            for address in loopback.present(self.settings.pool):
                loopback.remove(address)
        cert, key = webhooking.make_certificate(root / "webhook", host="127.0.0.1")
        try:
            server = webhooking.serve(
                host="127.0.0.1", port=self.settings.webhook_port, cert=cert, key=key, rules=self.settings.node.rules
            )
        except OSError as exc:
            # Not the API server being unreachable: most often a second process node on this machine (another
            # checkout's cluster) holds the port.
            raise errors.SetupError(
                f"cannot serve the pod webhook on 127.0.0.1:{self.settings.webhook_port} ({exc}); is a process node of"
                " another cluster running on this machine? `make down` in its checkout stops it"
            ) from exc
        self.register()
        url = f"https://127.0.0.1:{server.server_address[1]}{webhooking.PATH}"
        webhooking.register(self.api, body=webhooking.configuration(url=url, ca_pem=cert.read_bytes()))
        log.info("node %s is Ready; webhook at %s", self.settings.node_name, url)
        self.proxy.start()
        threading.Thread(target=self._sync_services, name="services", daemon=True).start()
        heartbeat = threading.Thread(target=self._heartbeat, name="heartbeat", daemon=True)
        heartbeat.start()
        watcher = threading.Thread(target=self._watch_pods, name="pods", daemon=True)
        watcher.start()
        try:
            while not self.stopping.wait(1.0):
                pass
        finally:
            try:
                webhooking.unregister(self.api)
            except (client.ApiException, *kubeio.UNREACHABLE) as exc:
                log.warning("could not remove the webhook configuration %s: %s", webhooking.CONFIGURATION, exc)
            server.shutdown()
            with self.lock:
                runners = list(self.runners.values())
            for runner in runners:
                runner.request_stop(grace=None, delete=False)
            for runner in runners:
                runner.join(timeout=60)
            self.proxy.stop()
            log.info("node %s stopped; its pods' processes are gone", self.settings.node_name)

    def stop(self) -> None:
        """Ask `run()` to return after stopping every pod's processes."""
        self.stopping.set()


def time_micro() -> str:
    """Now as a MicroTime, the format a Lease's renewTime needs."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{int(time.time() * 1e6) % 1_000_000:06d}Z"
