"""A pod as a plan of local processes: what each container runs, with which environment and mounts.

`plan` turns a pod (as the API server stores it), the objects it refers to and the node's settings into a
`PodPlan`; `launch_argv` turns one planned container into the command line that starts it in a private mount
namespace (`unshare --mount`), where the pod's volumes are bind-mounted at the paths the pod spec names, so
`/mnt/models` and `/var/run/secrets/kubernetes.io/serviceaccount` mean what they mean under a kubelet.
"""

from __future__ import annotations

import dataclasses
import posixpath
import shlex
from collections.abc import Mapping
from typing import Any

from modelplane.devcluster import envs, errors, images, probes, sources, volumes

HOST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclasses.dataclass(frozen=True)
class NodeSettings:
    """What planning needs to know about the process node."""

    venv_bin: str
    api_host: str
    api_port: int
    claims_dir: str
    rules: tuple[images.ImageRule, ...] = images.DEFAULT_RULES
    host_ip: str = "127.0.0.1"
    # Host folders the containers' programs come from (the virtualenv, the Python it links to): no volume may
    # be mounted over them, since the process node shares the host's filesystem instead of an image's.
    program_paths: tuple[str, ...] = ()
    allocatable: Mapping[str, str] = dataclasses.field(
        default_factory=lambda: {"cpu": "32", "memory": "256Gi", "pods": "110", "ephemeral-storage": "100Gi"}
    )


@dataclasses.dataclass(frozen=True)
class Mount:
    """A bind mount: the host path `source` appears at `target` inside the container's mount namespace."""

    source: str
    target: str
    read_only: bool


@dataclasses.dataclass(frozen=True)
class Container:
    """One container as a local process."""

    name: str
    image: str
    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...]
    workdir: str
    mounts: tuple[Mount, ...]
    probes: tuple[probes.Probe, ...]
    ports: tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class PodPlan:
    """Everything needed to run a pod: its containers in order, its volumes and its lifecycle settings."""

    namespace: str
    name: str
    uid: str
    pod_ip: str
    pod_dir: str
    init_containers: tuple[Container, ...]
    containers: tuple[Container, ...]
    volumes: tuple[volumes.Volume, ...]
    restart_policy: str
    grace_seconds: float


def image_env(*, settings: NodeSettings, pod_name: str) -> dict[str, str]:
    """The environment every container starts from, as an image and the kubelet would give it."""
    return {
        "PATH": f"{settings.venv_bin}:{HOST_PATH}",
        "HOME": "/root",
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "HOSTNAME": pod_name,
        # No kube-proxy routes the `kubernetes` Service's cluster IP here, so in-cluster clients are pointed
        # at the API server's own address instead.
        "KUBERNETES_SERVICE_HOST": settings.api_host,
        "KUBERNETES_SERVICE_PORT": str(settings.api_port),
        "KUBERNETES_SERVICE_PORT_HTTPS": str(settings.api_port),
    }


def _mounts(
    container: Mapping[str, Any], *, planned: Mapping[str, volumes.Volume], program_paths: tuple[str, ...]
) -> tuple[Mount, ...]:
    mounts = []
    for mount in container.get("volumeMounts") or []:
        volume = planned.get(mount["name"])
        if volume is None:
            raise errors.PlanError(
                f"container {container.get('name')!r} mounts volume {mount['name']!r}, which the pod does not declare"
            )
        if mount.get("subPathExpr"):
            raise errors.PlanError(
                f"container {container.get('name')!r}: subPathExpr is not supported by the process node; use subPath"
            )
        source = volume.host_path
        sub = str(mount.get("subPath") or "")
        if sub:
            clean = posixpath.normpath(sub)
            if clean.startswith("..") or sub.startswith("/"):
                raise errors.PlanError(
                    f"container {container.get('name')!r}: subPath {sub!r} must stay inside the volume"
                )
            source = posixpath.join(source, clean)
        target = str(mount["mountPath"])
        if not target.startswith("/"):
            raise errors.PlanError(f"container {container.get('name')!r}: mountPath {target!r} must be absolute")
        target = posixpath.normpath(target)
        for program in program_paths:
            if _covers(target, program):
                raise errors.PlanError(
                    f"container {container.get('name')!r} mounts volume {mount['name']!r} at {target}, which would "
                    f"hide {program} where the process node's programs live; mount it somewhere else"
                )
        mounts.append(Mount(source=source, target=target, read_only=bool(mount.get("readOnly"))))
    # Parents before children, so a volume mounted inside another stays visible.
    return tuple(sorted(mounts, key=lambda m: (m.target.count("/"), m.target)))


HOSTS = "/etc/hosts"


def hosts_path(pod_dir: str) -> str:
    """Where the pod's /etc/hosts (every Service by its cluster DNS names) lives on the host."""
    return posixpath.join(pod_dir, "hosts")


def _with_hosts(mounts: tuple[Mount, ...], *, pod_dir: str) -> tuple[Mount, ...]:
    """Add the pod's /etc/hosts (cluster DNS names) unless the container mounts its own."""
    if any(m.target == HOSTS for m in mounts):
        return mounts
    return (*mounts, Mount(source=hosts_path(pod_dir), target=HOSTS, read_only=True))


def _container(
    pod: Mapping[str, Any],
    container: Mapping[str, Any],
    *,
    found: sources.Sources,
    settings: NodeSettings,
    planned: Mapping[str, volumes.Volume],
    pod_ip: str,
    pod_dir: str,
    init: bool,
) -> Container:
    name = str(container.get("name", ""))
    image = str(container.get("image", ""))
    rule = images.rule_for(image, rules=settings.rules)
    if rule is None:
        prefixes = ", ".join(r.prefix for r in settings.rules)
        raise errors.PlanError(
            f"container {name!r} uses image {image!r}, which the process node does not run ({prefixes})"
        )
    if init and container.get("restartPolicy") == "Always":
        raise errors.PlanError(
            f"init container {name!r} is a sidecar (restartPolicy: Always), which the process node does not run"
        )
    base = image_env(settings=settings, pod_name=str((pod.get("metadata") or {}).get("name", "")))
    base.update(images.image_env(rule, pod_ip=pod_ip))
    env = envs.container_env(
        pod,
        container,
        found=found,
        base=base,
        pod_ip=pod_ip,
        host_ip=settings.host_ip,
        node_allocatable=settings.allocatable,
    )
    argv = envs.command_line(container, entrypoint=[rule.entrypoint], env=env, pod_ip=pod_ip)
    planned_probes = []
    if not init:
        for key, kind in (("startupProbe", "startup"), ("livenessProbe", "liveness"), ("readinessProbe", "readiness")):
            if container.get(key):
                planned_probes.append(probes.parse(container[key], kind=kind, container=container, pod_ip=pod_ip))
    return Container(
        name=name,
        image=image,
        argv=tuple(argv),
        env=tuple(sorted(env.items())),
        workdir=str(container.get("workingDir") or "/"),
        mounts=_with_hosts(_mounts(container, planned=planned, program_paths=settings.program_paths), pod_dir=pod_dir),
        probes=tuple(planned_probes),
        ports=tuple(int(p["containerPort"]) for p in container.get("ports") or [] if "containerPort" in p),
    )


def plan(
    pod: Mapping[str, Any], *, found: sources.Sources, settings: NodeSettings, pod_ip: str, pod_dir: str
) -> PodPlan:
    """The pod as local processes; raises PlanError naming what the process node cannot run and why."""
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    if spec.get("hostNetwork"):
        raise errors.PlanError("hostNetwork pods are not supported by the process node; every pod gets a loopback IP")
    planned = volumes.plan_volumes(
        pod,
        found=found,
        pod_dir=pod_dir,
        claims_dir=settings.claims_dir,
        pod_ip=pod_ip,
        host_ip=settings.host_ip,
        node_allocatable=settings.allocatable,
    )
    common: Any = {"found": found, "settings": settings, "planned": planned, "pod_ip": pod_ip, "pod_dir": pod_dir}
    policy = str(spec.get("restartPolicy") or "Always")
    grace = spec.get("terminationGracePeriodSeconds")
    return PodPlan(
        namespace=str(meta.get("namespace", "default")),
        name=str(meta.get("name", "")),
        uid=str(meta.get("uid", "")),
        pod_ip=pod_ip,
        pod_dir=pod_dir,
        init_containers=tuple(_container(pod, c, init=True, **common) for c in spec.get("initContainers") or []),
        containers=tuple(_container(pod, c, init=False, **common) for c in spec.get("containers") or []),
        volumes=tuple(planned.values()),
        restart_policy=policy,
        grace_seconds=float(30 if grace is None else grace),
    )


def _covers(parent: str, path: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def stage_dir(container: Container, *, pod_dir: str) -> str:
    """A folder no mount target hides, where every volume is bound before any target is mounted over."""
    name = f"stage-{container.name}"
    for candidate in (posixpath.join(pod_dir, name), f"/run/modelplane/{name}", f"/var/lib/modelplane/{name}"):
        if not any(_covers(m.target, candidate) for m in container.mounts):
            return candidate
    raise errors.PlanError(
        f"container {container.name!r} mounts volumes over {pod_dir}, /run and /var/lib at once; "
        "the process node needs one of them free"
    )


def launch_argv(container: Container, *, pod_dir: str) -> list[str]:
    """The command line that starts `container` in a private mount namespace with its volumes bind-mounted.

    Every volume is first bound into a staging folder, then from there onto its target, so a volume mounted over
    a parent of the state folder (an emptyDir at /work, say) cannot hide the sources of the volumes after it.
    """
    stage = stage_dir(container, pod_dir=pod_dir)
    lines = ["set -e"]
    for index, mount in enumerate(container.mounts):
        source, staged = shlex.quote(mount.source), shlex.quote(f"{stage}/{index}")
        lines.append(
            f"if [ -d {source} ]; then mkdir -p {staged}; else mkdir -p {shlex.quote(stage)}; : > {staged}; fi"
        )
        lines.append(f"mount --bind {source} {staged}")
    for index, mount in enumerate(container.mounts):
        staged, target = shlex.quote(f"{stage}/{index}"), shlex.quote(mount.target)
        lines.append(
            f"if [ -d {staged} ]; then mkdir -p {target}; "
            f"else mkdir -p {shlex.quote(posixpath.dirname(mount.target))}; [ -e {target} ] || : > {target}; fi"
        )
        lines.append(f"mount --bind {staged} {target}")
        if mount.read_only:
            lines.append(f"mount -o remount,bind,ro {target}")
    lines.append(f"mkdir -p {shlex.quote(container.workdir)} && cd {shlex.quote(container.workdir)}")
    lines.append('exec "$@"')
    return [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "--",
        "/bin/sh",
        "-c",
        "\n".join(lines),
        "sh",
        *container.argv,
    ]
