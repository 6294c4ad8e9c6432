"""One pod's life on the process node: plan it, write its volumes, run init containers in order, then run and
probe its containers, restart them by policy, report status, and stop them gracefully when the pod is deleted.

A `PodRunner` is one thread per pod; the node agent starts it when a pod is bound to the node and asks it to
stop when the pod is deleted. All decisions come from the pure modules (podplans, probes, restarts, podstatus).
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import os
import pathlib
import shutil
import threading
import time
from collections.abc import Callable
from typing import Any

from kubernetes import client
from modelplane.devcluster import errors, kubeio, podplans, podstatus, probes, processes, restarts, sources, volumes

log = logging.getLogger(__name__)
TICK = 0.2
RETRY = 5.0


def now_text() -> str:
    """The current time as the API server writes it."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pod_dir(root: pathlib.Path, pod: dict[str, Any]) -> pathlib.Path:
    """Where a pod's volumes, logs and pid records live: `<root>/pods/<namespace>_<name>_<uid>`."""
    meta = pod["metadata"]
    return root / "pods" / f"{meta['namespace']}_{meta['name']}_{meta['uid']}"


@dataclasses.dataclass
class _Slot:
    """The supervisor's bookkeeping for one container."""

    spec: podplans.Container
    state: podstatus.ContainerState
    process: processes.Process | None = None
    probe_states: dict[str, probes.State] = dataclasses.field(default_factory=dict)
    restart_at: float | None = None


class PodRunner(threading.Thread):
    """Runs one pod's containers until the pod ends or is deleted."""

    def __init__(
        self,
        *,
        api: client.ApiClient,
        pod: dict[str, Any],
        settings: podplans.NodeSettings,
        pod_ip: str,
        root: pathlib.Path,
        backoff: restarts.Backoff,
        on_exit: Callable[[PodRunner], None],
        hosts: Callable[[str, str, str], str],
    ) -> None:
        meta = pod["metadata"]
        super().__init__(name=f"pod-{meta['namespace']}-{meta['name']}", daemon=True)
        self.api = api
        self.pod = pod
        self.settings = settings
        self.pod_ip = pod_ip
        self.dir = pod_dir(root, pod)
        self.backoff = backoff
        self.on_exit = on_exit
        self.hosts = hosts
        self.uid = str(meta["uid"])
        self._stop_requested = threading.Event()
        self._grace: float | None = None
        self._delete_after = False
        self._start_time = now_text()
        self._reported: dict[str, Any] | None = None
        self._init: list[_Slot] = []
        self._main: list[_Slot] = []
        self._message = ""
        self._tokens_at = 0.0
        self._plan: podplans.PodPlan | None = None

    # -- requests from the node agent --------------------------------------------------------------------------
    def request_stop(self, *, grace: float | None, delete: bool) -> None:
        """Stop every container (SIGTERM, then SIGKILL after `grace`), then delete the pod when `delete`."""
        self._grace = grace
        self._delete_after = self._delete_after or delete
        self._stop_requested.set()

    def write_hosts(self, text: str) -> None:
        """Rewrite the pod's /etc/hosts in place (its containers see it through a bind mount of this inode)."""
        path = pathlib.Path(podplans.hosts_path(str(self.dir)))
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            with path.open("w") as out:
                out.write(text)

    def update(self, pod: dict[str, Any]) -> None:
        """Take the newest version of the pod object (its conditions are used for transition times)."""
        self.pod = pod

    # -- the thread --------------------------------------------------------------------------------------------
    def run(self) -> None:
        try:
            self._plan = self._prepare()
            if self._plan is not None:
                meta = self.pod["metadata"]
                self.write_hosts(self.hosts(meta["namespace"], self.pod_ip, meta["name"]))
                self._write_volumes(self._plan, tokens_only=False)
                if self._run_init(self._plan):
                    self._run_main(self._plan)
        except Exception:
            log.exception("pod %s: the supervisor failed", self.label)
        finally:
            self._stop_all()
            self._report(force=True)
            if self._delete_after:
                meta = self.pod["metadata"]
                try:
                    kubeio.delete_pod_now(self.api, namespace=meta["namespace"], name=meta["name"], uid=self.uid)
                except (client.ApiException, *kubeio.UNREACHABLE) as exc:
                    log.warning("pod %s: could not remove it: %s", self.label, exc)
            self.on_exit(self)

    def _wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True when a stop was requested meanwhile."""
        return self._stop_requested.wait(seconds)

    # -- planning and volumes ----------------------------------------------------------------------------------
    def _fetch(self) -> sources.Sources:
        meta, spec = self.pod["metadata"], self.pod["spec"]
        want = sources.wanted(self.pod)
        namespace = meta["namespace"]
        configmaps = {}
        for name in want.configmaps:
            data = kubeio.read_configmap(self.api, namespace=namespace, name=name)
            if data is not None:
                configmaps[name] = data
        secrets = {}
        for name in want.secrets:
            data = kubeio.read_secret(self.api, namespace=namespace, name=name)
            if data is not None:
                secrets[name] = data
        tokens = {
            key: kubeio.request_token(
                self.api,
                namespace=namespace,
                service_account=spec.get("serviceAccountName") or "default",
                pod=meta["name"],
                pod_uid=self.uid,
                audience=key.audience,
                seconds=key.expiration_seconds,
            )
            for key in want.tokens
        }
        return sources.Sources(configmaps=configmaps, secrets=secrets, tokens=tokens)

    def _planned(self) -> podplans.PodPlan:
        return podplans.plan(
            self.pod, found=self._fetch(), settings=self.settings, pod_ip=self.pod_ip, pod_dir=str(self.dir)
        )

    def _prepare(self) -> podplans.PodPlan | None:
        spec = self.pod["spec"]
        self._init = [
            _Slot(spec=_placeholder(c), state=_waiting(c, "PodInitializing")) for c in spec.get("initContainers") or []
        ]
        self._main = [_Slot(spec=_placeholder(c), state=_waiting(c, "ContainerCreating")) for c in spec["containers"]]
        while not self._stop_requested.is_set():
            try:
                plan = self._planned()
            except errors.PlanError as exc:
                self._message = str(exc)
                for slot in self._init + self._main:
                    slot.state = dataclasses.replace(slot.state, reason="CreateContainerConfigError", message=str(exc))
                self._report()
                self._wait(RETRY)
                continue
            except (client.ApiException, *kubeio.UNREACHABLE) as exc:
                log.warning("pod %s: reading what it refers to failed (%s); retrying", self.label, exc)
                self._wait(RETRY)
                continue
            self._message = ""
            for slot, spec_ in zip(self._init, plan.init_containers, strict=True):
                slot.spec = spec_
            for slot, spec_ in zip(self._main, plan.containers, strict=True):
                slot.spec = spec_
            for slot in self._init + self._main:
                slot.state = dataclasses.replace(slot.state, message="")
            self._tokens_at = time.monotonic()
            return plan
        return None

    @property
    def label(self) -> str:
        """`namespace/name`, for log lines."""
        meta = self.pod["metadata"]
        return f"{meta['namespace']}/{meta['name']}"

    def _write_volumes(self, plan: podplans.PodPlan, *, tokens_only: bool) -> None:
        for volume in plan.volumes:
            host = pathlib.Path(volume.host_path)
            if tokens_only and not volume.refreshed_tokens:
                continue
            host.mkdir(parents=True, exist_ok=True)
            if volume.files is None:
                continue
            for file in volume.files:
                _write_file(host / file.path, file)

    def _refresh_tokens(self) -> None:
        """Request fresh tokens at 80% of the shortest lifetime, as the kubelet does."""
        if self._plan is None or not any(v.refreshed_tokens for v in self._plan.volumes):
            return
        lifetime = min(k.expiration_seconds for k in sources.wanted(self.pod).tokens)
        if time.monotonic() - self._tokens_at < 0.8 * lifetime:
            return
        try:
            self._plan = self._planned()
            self._write_volumes(self._plan, tokens_only=True)
            self._tokens_at = time.monotonic()
        except (errors.PlanError, client.ApiException, *kubeio.UNREACHABLE) as exc:
            log.warning("pod %s: could not refresh its tokens: %s", self.label, exc)

    # -- running -----------------------------------------------------------------------------------------------
    def _start(self, slot: _Slot) -> None:
        run = slot.state.restart_count
        try:
            slot.process = processes.Process(slot.spec, pod_dir=self.dir, run=run)
        except OSError as exc:
            slot.process = None
            slot.state = dataclasses.replace(
                slot.state, state=podstatus.WAITING, reason="RunContainerError", message=str(exc)
            )
            return
        started = now_text()
        slot.state = dataclasses.replace(
            slot.state,
            state=podstatus.RUNNING,
            reason="",
            message="",
            started_at=started,
            pid=slot.process.pid,
            started=not any(p.kind == "startup" for p in slot.spec.probes),
            ready=not any(p.kind == "readiness" for p in slot.spec.probes),
        )
        slot.probe_states = {p.kind: probes.initial(p, started_at=time.monotonic()) for p in slot.spec.probes}
        log.info("pod %s: started container %s (pid %d)", self.label, slot.spec.name, slot.process.pid)

    def _exited(self, slot: _Slot, code: int, *, policy: str, reason: str = "") -> None:
        process = slot.process
        ran_for = time.monotonic() - process.started if process else 0.0
        finished = dataclasses.replace(
            slot.state,
            state=podstatus.TERMINATED,
            exit_code=code,
            finished_at=now_text(),
            reason=reason or ("Completed" if code == 0 else "Error"),
            ready=False,
            last=None,
        )
        slot.process = None
        if restarts.should_restart(policy, exit_code=code):
            wait = restarts.delay(self.backoff, restarts=slot.state.restart_count, ran_for=ran_for)
            slot.restart_at = time.monotonic() + wait
            slot.state = dataclasses.replace(
                slot.state,
                state=podstatus.WAITING,
                reason="CrashLoopBackOff",
                ready=False,
                started=False,
                message=f"back-off {wait:.0f}s restarting container {slot.spec.name}",
                last=finished,
                pid=0,
            )
        else:
            slot.state = dataclasses.replace(finished, final=True, last=slot.state.last)
        log.info("pod %s: container %s exited with %d", self.label, slot.spec.name, code)

    def _run_init(self, plan: podplans.PodPlan) -> bool:
        policy = "Never" if plan.restart_policy == "Never" else "OnFailure"
        for slot in self._init:
            while not slot.state.final:
                if self._stop_requested.is_set():
                    return False
                if slot.process is None and (slot.restart_at is None or time.monotonic() >= slot.restart_at):
                    if slot.restart_at is not None:
                        slot.state = dataclasses.replace(slot.state, restart_count=slot.state.restart_count + 1)
                    slot.restart_at = None
                    self._start(slot)
                    self._report()
                if slot.process is not None:
                    code = slot.process.exit_code()
                    if code is not None:
                        self._exited(slot, code, policy=policy)
                        self._report()
                self._refresh_tokens()
                self._wait(TICK)
            if slot.state.exit_code != 0:
                return False
        return True

    def _probe(self, slot: _Slot, plan: podplans.PodPlan) -> None:
        if slot.process is None:
            return
        now = time.monotonic()
        startup = slot.probe_states.get("startup")
        for probe in slot.spec.probes:
            if probe.kind != "startup" and startup is not None and not startup.healthy:
                continue
            state = slot.probe_states[probe.kind]
            if not probes.due(state, now=now):
                continue
            ok = processes.check(probe, process=slot.process)
            new = probes.record(probe, state, ok=ok, now=time.monotonic())
            slot.probe_states[probe.kind] = new
            if probe.kind == "startup":
                if new.healthy:
                    slot.state = dataclasses.replace(slot.state, started=True)
                elif new.failures >= probe.failure_threshold:
                    self._kill(slot, plan, reason="StartupProbeFailed")
                    return
            elif probe.kind == "liveness" and not new.healthy:
                self._kill(slot, plan, reason="LivenessProbeFailed")
                return
            elif probe.kind == "readiness":
                slot.state = dataclasses.replace(slot.state, ready=new.healthy)

    def _kill(self, slot: _Slot, plan: podplans.PodPlan, *, reason: str) -> None:
        if slot.process is None:
            return
        log.info("pod %s: container %s failed its probe (%s); restarting it", self.label, slot.spec.name, reason)
        code = slot.process.stop(grace=plan.grace_seconds)
        self._exited(slot, code, policy=plan.restart_policy, reason=reason)

    def _run_main(self, plan: podplans.PodPlan) -> None:
        for slot in self._main:
            self._start(slot)
        self._report()
        while not self._stop_requested.is_set():
            for slot in self._main:
                if slot.state.final:
                    continue
                if slot.process is not None:
                    code = slot.process.exit_code()
                    if code is not None:
                        self._exited(slot, code, policy=plan.restart_policy)
                    else:
                        self._probe(slot, plan)
                elif slot.restart_at is not None and time.monotonic() >= slot.restart_at:
                    slot.restart_at = None
                    slot.state = dataclasses.replace(slot.state, restart_count=slot.state.restart_count + 1)
                    self._start(slot)
            self._report()
            if all(slot.state.final for slot in self._main):
                return
            self._refresh_tokens()
            self._wait(TICK)

    def _stop_all(self) -> None:
        grace = self._grace if self._grace is not None else (self._plan.grace_seconds if self._plan else 30.0)
        stopping = [slot for slot in self._init + self._main if slot.process is not None]
        done = threading.Barrier(len(stopping) + 1) if stopping else None

        def stop(slot: _Slot) -> None:
            process = slot.process
            if process is not None:
                code = process.stop(grace=grace)
                slot.state = dataclasses.replace(
                    slot.state,
                    state=podstatus.TERMINATED,
                    exit_code=code,
                    finished_at=now_text(),
                    reason="Completed" if code == 0 else "Error",
                    ready=False,
                    final=self._delete_after,
                )
                slot.process = None
            if done is not None:
                done.wait()

        for slot in stopping:
            threading.Thread(target=stop, args=(slot,), daemon=True).start()
        if done is not None:
            done.wait()
        for slot in self._main:
            slot.state = dataclasses.replace(slot.state, ready=False)

    # -- status ------------------------------------------------------------------------------------------------
    def _report(self, *, force: bool = False) -> None:
        status = podstatus.build(
            init=[s.state for s in self._init],
            main=[s.state for s in self._main],
            pod_ip=self.pod_ip,
            host_ip=self.settings.host_ip,
            start_time=self._start_time,
            now=now_text(),
            message=self._message,
            previous_conditions=(self.pod.get("status") or {}).get("conditions") or [],
        )
        if status == self._reported and not force:
            return
        if self._stop_requested.is_set() and self._delete_after and not force:
            return
        for key in ("message", "reason"):
            status.setdefault(key, None)
        meta = self.pod["metadata"]
        try:
            kubeio.patch_pod_status(self.api, namespace=meta["namespace"], name=meta["name"], status=status)
            self._reported = status
            self.pod = {**self.pod, "status": status}
        except client.ApiException as exc:
            if exc.status != 404:
                log.warning("pod %s: status update failed: %s", self.label, exc.reason)
        except kubeio.UNREACHABLE as exc:
            log.warning("pod %s: status update failed, the API server is unreachable: %s", self.label, exc)


def _write_file(path: pathlib.Path, file: volumes.File) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(file.content)
    os.chmod(temporary, file.mode)
    temporary.replace(path)


def _placeholder(container: dict[str, Any]) -> podplans.Container:
    return podplans.Container(
        name=str(container["name"]),
        image=str(container.get("image", "")),
        argv=(),
        env=(),
        workdir="/",
        mounts=(),
        probes=(),
        ports=(),
    )


def _waiting(container: dict[str, Any], reason: str) -> podstatus.ContainerState:
    return podstatus.ContainerState(name=str(container["name"]), image=str(container.get("image", "")), reason=reason)


def remove_volumes(path: pathlib.Path) -> None:
    """Delete a removed pod's volumes (its logs stay for `dev-node logs`)."""
    shutil.rmtree(path / "volumes", ignore_errors=True)
