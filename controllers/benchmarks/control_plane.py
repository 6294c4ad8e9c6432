"""Benchmark (not a test): N Raw-mode InferenceServices on a local control plane until every child exists.

Starts a dedicated kwokctl cluster from bin/ (real etcd, kube-apiserver, controller-manager and scheduler on
127.0.0.1, with a Service IP range large enough for N ClusterIP Services and kwok nodes with room for N pods; the
shared development cluster has a /24 range), installs the CRDs, starts `modelplane operator` as a process, creates
N InferenceServices through the API server (so the webhook admits each one), and polls until every one has its
Deployment, Service, HorizontalPodAutoscaler and VirtualService. Prints the wall time, the operator's peak RSS
(sampled every 100 ms), the API server's write requests per InferenceService by resource (from its /metrics), and
the machine as a Markdown table row for docs/benchmarks.md, then deletes the cluster.

    .venv/bin/python controllers/benchmarks/control_plane.py --count 1000
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import contextlib
import json
import os
import pathlib
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator

import psutil
from modelplane.operator import clients

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = ROOT / "bin"
CLUSTER = "modelplane-bench"
CRD_DIRS = (
    ROOT / "charts" / "modelplane-crds" / "files" / "crds",
    ROOT / "controllers" / "tests" / "fixtures" / "crds",
)
PODS_PER_NODE = 110
RUNTIME = {
    "apiVersion": "serving.kserve.io/v1alpha1",
    "kind": "ClusterServingRuntime",
    "metadata": {"name": "bench-tensorflow"},
    "spec": {
        "supportedModelFormats": [{"name": "tensorflow", "version": "2", "autoSelect": True}],
        "protocolVersions": ["v1"],
        "containers": [{"name": "kserve-container", "image": "tensorflow/serving:2.14.1"}],
    },
}
CHILDREN = (
    ("apps/v1", "Deployment", "{}-predictor"),
    ("v1", "Service", "{}-predictor"),
    ("autoscaling/v2", "HorizontalPodAutoscaler", "{}-predictor"),
    ("networking.istio.io/v1beta1", "VirtualService", "{}"),
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _kwokctl_config(port: int) -> str:
    def version(binary: str, pattern: str) -> str:
        out = subprocess.run([str(BIN / binary), "--version"], capture_output=True, text=True, check=True).stdout
        return next(line for line in out.splitlines() if line.startswith(pattern)).split()[
            -1 if binary != "etcd" else 2
        ]

    binaries = {
        "kubeApiserverBinary": "kube-apiserver", "kubeControllerManagerBinary": "kube-controller-manager",
        "kubeSchedulerBinary": "kube-scheduler", "kwokControllerBinary": "kwok", "etcdBinary": "etcd",
        "kubectlBinary": "kubectl",
    }  # fmt: skip
    options = {"runtime": "binary", "kubeApiserverPort": port} | {k: str(BIN / v) for k, v in binaries.items()}
    options["etcdVersion"] = version("etcd", "etcd Version")
    options["kubeVersion"] = version("kube-apiserver", "Kubernetes")
    patches = [
        {"name": "kube-apiserver", "extraArgs": [{"key": "service-cluster-ip-range", "value": "10.96.0.0/16"}]},
        {
            "name": "kube-controller-manager",
            "extraArgs": [
                {"key": "service-cluster-ip-range", "value": "10.96.0.0/16"},
                # kwok has no metrics API: the HPA controller would only post two failure events per HPA every
                # 15 s (over 100 writes/s at 1,000 HPAs), loading the API server with noise, not with the operator.
                {"key": "controllers", "value": "*,-horizontal-pod-autoscaler-controller"},
            ],
        },
    ]
    config = {
        "apiVersion": "config.kwok.x-k8s.io/v1alpha1",
        "kind": "KwokctlConfiguration",
        "options": options,
        "componentsPatches": patches,
    }
    return json.dumps(config)


def _node(index: int) -> dict[str, object]:
    capacity = {"cpu": "64", "memory": "512Gi", "pods": str(PODS_PER_NODE)}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": f"bench-node-{index}",
            "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {"type": "kwok", "kubernetes.io/os": "linux", "kubernetes.io/hostname": f"bench-node-{index}"},
        },
        "status": {"allocatable": capacity, "capacity": capacity},
    }


@contextlib.contextmanager
def bench_cluster(*, nodes: int) -> Iterator[pathlib.Path]:
    """A throw-away kwokctl cluster; yields its kubeconfig path and deletes the cluster afterwards."""
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="modelplane-bench-"))
    env = {**os.environ, "KWOK_WORKDIR": str(workdir)}
    config = workdir / "kwokctl.yaml"
    config.write_text(_kwokctl_config(_free_port()))
    kwokctl = [str(BIN / "kwokctl"), "--name", CLUSTER]
    subprocess.run(
        [*kwokctl, "-c", str(config), "create", "cluster", "--kubeconfig", str(workdir / "merged"), "--wait", "120s"],
        env=env, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    kubeconfig = workdir / "clusters" / CLUSTER / "kubeconfig.yaml"
    try:
        kubectl = [str(BIN / "kubectl"), "--kubeconfig", str(kubeconfig)]
        node_list = json.dumps({"apiVersion": "v1", "kind": "List", "items": [_node(i) for i in range(nodes)]})
        subprocess.run([*kubectl, "apply", "-f", "-"], input=node_list, text=True, check=True, capture_output=True)
        for crd_dir in CRD_DIRS:
            subprocess.run([*kubectl, "apply", "--server-side", "-f", str(crd_dir)], check=True, capture_output=True)
        wait = [*kubectl, "wait", "--for=condition=Established", "--timeout=60s"]
        for _ in range(5):  # a CRD just applied may not be listable yet
            if (
                subprocess.run([*wait, *(a for d in CRD_DIRS for a in ("-f", str(d)))], capture_output=True).returncode
                == 0
            ):
                break
            time.sleep(2)
        for _ in range(120):
            ok = subprocess.run([*kubectl, "-n", "default", "get", "serviceaccount", "default"], capture_output=True)
            if ok.returncode == 0:
                break
            time.sleep(1)
        yield kubeconfig
    finally:
        subprocess.run(
            [*kwokctl, "delete", "cluster", "--kubeconfig", str(workdir / "merged")], env=env, capture_output=True
        )
        shutil.rmtree(workdir, ignore_errors=True)


def _isvc(name: str, namespace: str) -> dict[str, object]:
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "annotations": {"serving.kserve.io/deploymentMode": "RawDeployment"},
        },
        "spec": {"predictor": {"tensorflow": {"storageUri": f"gs://bench/models/{name}"}}},
    }


class PeakRss:
    """Samples a process's resident set size in a thread and keeps the highest value."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self.cpu_seconds = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.process.memory_info().rss)
            except psutil.Error:
                return
            time.sleep(0.1)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        with contextlib.suppress(psutil.Error):
            times = self.process.cpu_times()
            self.cpu_seconds = times.user + times.system
        return self.peak


def _complete(cluster: clients.Cluster, *, namespace: str, names: list[str]) -> int:
    """How many InferenceServices have all four children."""
    present: dict[str, set[str]] = {}
    for api_version, kind, _ in CHILDREN:
        # Names only (PartialObjectMetadataList), so polling costs the API server little.
        answer = cluster.request(
            "GET",
            clients.path(api_version=api_version, kind=kind, namespace=namespace),
            query=[("labelSelector", "app.kubernetes.io/managed-by=modelplane")],
            accept="application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1",
        )
        present[kind] = {i["metadata"]["name"] for i in (answer or {}).get("items") or []}
    return sum(all(pattern.format(n) in present[kind] for _, kind, pattern in CHILDREN) for n in names)


def _writes() -> collections.Counter[str]:
    """The API server's count of completed write requests so far, by resource (its own /metrics)."""
    text = subprocess.run(
        [str(BIN / "kubectl"), "get", "--raw", "/metrics"], capture_output=True, text=True, check=True
    ).stdout
    counts: collections.Counter[str] = collections.Counter()
    for match in re.finditer(r"^apiserver_request_total\{([^}]*)\} (\S+)$", text, re.MULTILINE):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
        if labels.get("verb") in ("POST", "PUT", "PATCH", "APPLY", "DELETE"):
            resource = labels.get("resource", "")
            if labels.get("subresource"):
                resource += "/" + labels["subresource"]
            counts[resource] += int(float(match.group(2)))
    return counts


def measure(*, count: int, clients_n: int, timeout: float, workers: int) -> tuple[int, float, float, int]:
    """Run the operator and create `count` InferenceServices; (complete, total s, creation s, peak RSS bytes)."""
    cluster = clients.Cluster.connect(pool_size=clients_n * 2)
    cluster.apply(RUNTIME)
    namespace = "bench"
    # The operator's controller namespace, where it holds its leader-election Lease, as an install has it.
    for name in (namespace, "modelplane-system"):
        cluster.request(
            "POST", "/api/v1/namespaces", body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        )
    names = [f"isvc-{i:04d}" for i in range(count)]
    log = tempfile.NamedTemporaryFile("w", prefix="bench-operator-", suffix=".log", delete=False)  # noqa: SIM115
    operator = subprocess.Popen(
        [sys.executable, "-m", "modelplane.cli", "operator", "--register-webhook",
         "--webhook-port", str(_free_port()), "--health-port", str(_free_port()), "--workers", str(workers)],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    rss = PeakRss(operator.pid)
    try:
        time.sleep(5)  # the operator registers its webhook; creation then goes through it
        writes_before = _writes()
        start = time.monotonic()
        path = clients.path(api_version="serving.kserve.io/v1beta1", kind="InferenceService", namespace=namespace)
        with concurrent.futures.ThreadPoolExecutor(clients_n) as pool:
            list(pool.map(lambda n: cluster.request("POST", path, body=_isvc(n, namespace)), names))
        created = time.monotonic() - start
        print(f"created {count} InferenceServices in {created:.1f} s", flush=True)
        done, shown = 0, 0.0
        while done < count and time.monotonic() - start < timeout:
            time.sleep(1)
            done = _complete(cluster, namespace=namespace, names=names)
            if time.monotonic() - shown >= 5:
                shown = time.monotonic()
                print(f"  {shown - start:5.1f} s: {done}/{count} with all their children", flush=True)
        total = time.monotonic() - start
        writes = _writes()
        writes.subtract(writes_before)
        top = ", ".join(f"{resource} {n / count:.1f}" for resource, n in writes.most_common(12) if n > 0)
        print(f"API writes per InferenceService while it ran: {sum(writes.values()) / count:.1f} in all; {top}")
    finally:
        peak = rss.stop()
        operator.terminate()
        operator.wait(timeout=60)
    print(f"operator log: {log.name}; operator CPU time {rss.cpu_seconds:.1f} s")
    return done, total, created, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="InferenceServices to create (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=300, help="give up after this many seconds")
    parser.add_argument("--clients", type=int, default=8, help="parallel creating threads (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=16, help="the operator's --workers (default: %(default)s)")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with bench_cluster(nodes=args.count // PODS_PER_NODE + 2) as kubeconfig:
        os.environ["KUBECONFIG"] = str(kubeconfig)
        done, total, created, peak = measure(
            count=args.count, clients_n=args.clients, timeout=args.timeout, workers=args.workers
        )
    with open("/proc/cpuinfo") as cpuinfo:
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "?")
    machine = f"{psutil.cpu_count()} cores ({cpu}), {psutil.virtual_memory().total / 2**30:.0f} GiB RAM"
    print("| InferenceServices | all children present | creation (POSTs) | operator peak RSS | machine | load before |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {done}/{args.count} | {total:.1f} s | {created:.1f} s | {peak / 2**20:.0f} MiB | {machine}, "
        f"Python {platform.python_version()} | {load_before:.1f} |"
    )
    return 0 if done == args.count else 1


if __name__ == "__main__":
    sys.exit(main())
