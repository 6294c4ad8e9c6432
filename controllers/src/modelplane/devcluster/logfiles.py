"""Finding a container's log on the process node: `<state dir>/pods/<ns>_<name>_<uid>/logs/<container>/<run>.log`.

`kubectl logs` asks the kubelet, which the process node does not serve, so `modelplane dev-node logs` reads these
files directly. One file per run of a container: the highest number is the current run.
"""

from __future__ import annotations

import pathlib

from modelplane.devcluster import errors


def pod_dirs(root: pathlib.Path, *, namespace: str, name: str) -> list[pathlib.Path]:
    """Folders of pods with that namespace and name, newest first (a re-created pod gets a new uid)."""
    found = [p for p in (root / "pods").glob(f"{namespace}_{name}_*") if p.name.count("_") >= 2]
    exact = [p for p in found if p.name.rsplit("_", 1)[0] == f"{namespace}_{name}"]
    return sorted(exact, key=lambda p: p.stat().st_mtime, reverse=True)


def runs(container_dir: pathlib.Path) -> list[pathlib.Path]:
    """A container's log files in run order."""
    files = [p for p in container_dir.glob("*.log") if p.stem.isdigit()]
    return sorted(files, key=lambda p: int(p.stem))


def find(root: pathlib.Path, *, namespace: str, name: str, container: str | None, previous: bool) -> pathlib.Path:
    """The log file to show; raises DevClusterError saying what exists when the choice is wrong."""
    dirs = pod_dirs(root, namespace=namespace, name=name)
    if not dirs:
        raise errors.DevClusterError(
            f"no pod {namespace}/{name} has run on the process node (state folder {root}); "
            "check the name and namespace (-n), or whether the pod was scheduled to a kwok node"
        )
    logs = dirs[0] / "logs"
    containers = sorted(p.name for p in logs.iterdir()) if logs.is_dir() else []
    if not containers:
        raise errors.DevClusterError(f"pod {namespace}/{name} has not started a container yet")
    if container is None:
        if len(containers) > 1:
            raise errors.DevClusterError(
                f"pod {namespace}/{name} has several containers ({', '.join(containers)}); choose one with -c"
            )
        container = containers[0]
    if container not in containers:
        raise errors.DevClusterError(
            f"pod {namespace}/{name} has no logs for container {container!r}; it has {', '.join(containers)}"
        )
    files = runs(logs / container)
    if previous:
        if len(files) < 2:
            raise errors.DevClusterError(f"container {container!r} of pod {namespace}/{name} has not restarted yet")
        return files[-2]
    if not files:
        raise errors.DevClusterError(f"container {container!r} of pod {namespace}/{name} has no log yet")
    return files[-1]
