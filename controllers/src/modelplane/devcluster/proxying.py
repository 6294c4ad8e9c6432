"""The local ingress: watches routing objects, Services and EndpointSlices, keeps nginx's configuration in step.

Any change to an Ingress, HTTPRoute, VirtualService, Service or EndpointSlice marks the configuration stale;
after a short quiet period everything is listed again, the table is rebuilt (pure: `routes`, `nginxconf`), and
when the text changed nginx checks it (`nginx -t`) and reloads it (SIGHUP), keeping the old one when the check
fails. nginx runs as a child process in the foreground and is started again if it dies.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import pathlib
import pwd
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

from kubernetes import client, watch
from modelplane.devcluster import backends, errors, kubeio, nginxconf, routes

log = logging.getLogger(__name__)
QUIET = 0.3
BUFFERS = ("body", "proxy", "fastcgi", "uwsgi", "scgi")


@dataclasses.dataclass(frozen=True)
class Kind:
    """One watched kind: how to list it (returns the raw list) and whether its CRD may be absent."""

    name: str
    lister: Callable[..., Any]
    optional: bool


def _kinds(api: client.ApiClient) -> list[Kind]:
    core, networking = client.CoreV1Api(api), client.NetworkingV1Api(api)
    custom, discovery = client.CustomObjectsApi(api), client.DiscoveryV1Api(api)

    def crd(group: str, version: str, plural: str) -> Callable[..., Any]:
        def lister(**kwargs: Any) -> Any:
            return custom.list_cluster_custom_object(group, version, plural, **kwargs)

        return lister

    return [
        Kind("Ingress", networking.list_ingress_for_all_namespaces, optional=False),
        Kind("Service", core.list_service_for_all_namespaces, optional=False),
        Kind("EndpointSlice", discovery.list_endpoint_slice_for_all_namespaces, optional=False),
        Kind("HTTPRoute", crd("gateway.networking.k8s.io", "v1", "httproutes"), optional=True),
        Kind("VirtualService", crd("networking.istio.io", "v1", "virtualservices"), optional=True),
    ]


class LocalIngress:
    """nginx on 127.0.0.1 routing the cluster's ingress objects."""

    def __init__(
        self, api: client.ApiClient, *, nginx: str, listen: nginxconf.Listen, ingress_class: str | None
    ) -> None:
        self.api = api
        self.nginx = nginx
        self.listen = listen
        self.ingress_class = ingress_class
        self.state = pathlib.Path(listen.state_dir)
        self.conf = self.state / "nginx.conf"
        self.kinds = _kinds(api)
        self.stale = threading.Event()
        self.stopping = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None

    # -- configuration -----------------------------------------------------------------------------------------
    def _list(self, kind: Kind) -> list[dict[str, Any]]:
        try:
            items: list[dict[str, Any]] = kubeio.raw(kind.lister(_preload_content=False)).get("items") or []
        except client.ApiException as exc:
            if exc.status == 404 and kind.optional:
                return []
            raise
        return items

    def table(self) -> routes.Table:
        """The routing table as the cluster stands now."""
        listed = {kind.name: self._list(kind) for kind in self.kinds}
        return routes.build(
            ingresses=listed["Ingress"],
            httproutes=listed["HTTPRoute"],
            virtualservices=listed["VirtualService"],
            cluster=backends.index(listed["Service"], listed["EndpointSlice"]),
            ingress_class=self.ingress_class,
        )

    def render(self) -> str:
        """The nginx configuration for the cluster as it stands now."""
        return nginxconf.render(self.table(), listen=self.listen)

    def _check(self, path: pathlib.Path) -> str:
        result = subprocess.run(
            [self.nginx, "-t", "-q", "-p", str(self.state), "-c", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        return "" if result.returncode == 0 else result.stderr.strip()

    def _prepare_dirs(self) -> None:
        for name in BUFFERS:
            (self.state / "buffers" / name).mkdir(parents=True, exist_ok=True)
        if self.listen.user:
            entry = pwd.getpwnam(self.listen.user.split()[0])
            for name in BUFFERS:
                os.chown(self.state / "buffers" / name, entry.pw_uid, entry.pw_gid)

    def apply(self) -> bool:
        """Rebuild the configuration; write, check and reload it when it changed. True when nginx took a new one."""
        text = self.render()
        if self.conf.exists() and self.conf.read_text() == text:
            return False
        candidate = self.conf.with_suffix(".next")
        candidate.write_text(text)
        problem = self._check(candidate)
        if problem:
            log.error("the new nginx configuration does not pass `nginx -t`, keeping the old one: %s", problem)
            return False
        candidate.replace(self.conf)
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGHUP)
        log.info("nginx configuration updated (%d hosts)", text.count("server_name") - 1)
        return True

    # -- watching ----------------------------------------------------------------------------------------------
    def _watch(self, kind: Kind) -> None:
        while not self.stopping.is_set():
            try:
                listing = kubeio.raw(kind.lister(_preload_content=False))
                self.stale.set()
                stream = watch.Watch()
                for event in stream.stream(
                    kind.lister, resource_version=listing["metadata"]["resourceVersion"], timeout_seconds=60
                ):
                    if self.stopping.is_set():
                        stream.stop()
                        break
                    if event["type"] == "ERROR":
                        break
                    self.stale.set()
            except client.ApiException as exc:
                if not (exc.status == 404 and kind.optional):
                    log.warning("watching %s failed (%s); retrying", kind.name, exc.reason)
                self.stopping.wait(5.0)
            except kubeio.UNREACHABLE as exc:
                log.warning("watching %s failed: the API server is unreachable (%s)", kind.name, exc)
                self.stopping.wait(2.0)

    # -- nginx -------------------------------------------------------------------------------------------------
    def _start_nginx(self) -> None:
        log_path = self.state / "nginx.out"
        with log_path.open("ab") as out:
            self._process = subprocess.Popen(
                [self.nginx, "-p", str(self.state), "-c", str(self.conf)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        log.info("nginx listens on http://%s:%d (pid %d)", self.listen.host, self.listen.port, self._process.pid)

    def _stop_nginx(self) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGQUIT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def run(self) -> None:
        """Serve until `stop()`."""
        self.state.mkdir(parents=True, exist_ok=True)
        self._prepare_dirs()
        text = self.render()
        self.conf.write_text(text)
        problem = self._check(self.conf)
        if problem:
            raise errors.SetupError(f"nginx rejects the generated configuration {self.conf}: {problem}")
        self._start_nginx()
        time.sleep(0.3)
        if self._process is not None and self._process.poll() is not None:
            tail = (self.state / "nginx.out").read_text()[-500:]
            raise errors.SetupError(f"nginx stopped right after starting: {tail.strip()}")
        for kind in self.kinds:
            threading.Thread(target=self._watch, args=(kind,), name=f"watch-{kind.name}", daemon=True).start()
        try:
            while not self.stopping.is_set():
                if self._process is not None and self._process.poll() is not None:
                    log.warning("nginx exited with %s; starting it again", self._process.returncode)
                    self._start_nginx()
                if not self.stale.wait(1.0):
                    continue
                self.stopping.wait(QUIET)
                self.stale.clear()
                try:
                    self.apply()
                except client.ApiException as exc:
                    log.warning("listing the routing objects failed (%s); will retry", exc.reason)
                    self.stale.set()
                except kubeio.UNREACHABLE as exc:
                    log.warning("the API server is unreachable (%s); will retry", exc)
                    self.stale.set()
                    self.stopping.wait(1.0)
        finally:
            self._stop_nginx()

    def stop(self) -> None:
        """Ask `run()` to stop nginx and return."""
        self.stopping.set()
