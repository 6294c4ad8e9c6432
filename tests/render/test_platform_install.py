"""The platform chart against a FRESH control plane, as an admin installs it on a new cluster: no serving.kserve.io
CRDs beforehand, one `helm install`.

A throwaway kwokctl cluster (real etcd, API server, controller-manager and scheduler from bin/, on free ports of
127.0.0.1) gets a process node of its own (`modelplane dev-node run`, its own node name, pod and Service address
ranges and webhook port, so the shared cluster's node is untouched), which runs the controller and every hook Job
as real processes; both are stopped and removed afterwards. Covers: before the install, the runtimes hook refuses
to apply without the ClusterServingRuntime CRD (naming it) and has nothing to delete; `helm install --wait` with
hack/local-platform-values.yaml succeeds in one step, with the controller on that node and every bundled
ClusterServingRuntime applied by the hook's field manager (carrying Helm's ownership annotations), its Jobs gone;
`helm upgrade` with a changed runtime list updates the kept runtimes and prunes the dropped ones; `helm uninstall`
removes the runtimes and the release's objects and leaves the CRDs (crds.keep). With the standalone charts, a
release switches `runtimes.installWith` from `hook` to `manifest` (Helm adopts the hook's runtimes) and back,
keeping every runtime, and its uninstall removes them.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import random
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.cluster

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = ROOT / "bin"
HELM, KUBECTL = str(BIN / "helm"), str(BIN / "kubectl")
NAME = "modelplane-fresh"
NODE = "fresh-process-node"
NAMESPACE = "modelplane-system"
HOOK_MANAGER = "modelplane-hook"  # modelplane.hooks.connecting.FIELD_MANAGER
CRDS = {
    f"{p}.serving.kserve.io"
    for p in ("inferenceservices", "servingruntimes", "clusterservingruntimes", "trainedmodels")
}
ALL_RUNTIMES = {
    *(f"modelplane-{f}" for f in ("sklearn", "xgboost", "lightgbm", "onnx", "pytorch", "custom", "multimodel")),
    *(f"modelplane-{r}" for r in ("triton", "torchserve", "tfserving", "mlserver")),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def kwokctl_config(service_range: str) -> dict[str, Any]:
    """hack/cluster.sh's configuration (binaries from bin/, webhooks reached through endpoints, kwok managing only
    its own fake nodes so a process node can register), on free ports and a Service range of its own."""

    def version(binary: str, field: int, prefix: str) -> str:
        out = subprocess.run([str(BIN / binary), "--version"], capture_output=True, text=True, check=True).stdout
        return next(line for line in out.splitlines() if line.startswith(prefix)).split()[field]

    ports = ("kubeApiserverPort", "etcdPort", "etcdPeerPort", "kubeControllerManagerPort", "kubeSchedulerPort")
    binaries = {
        "kubeApiserverBinary": "kube-apiserver", "kubeControllerManagerBinary": "kube-controller-manager",
        "kubeSchedulerBinary": "kube-scheduler", "kwokControllerBinary": "kwok", "etcdBinary": "etcd",
        "kubectlBinary": "kubectl",
    }  # fmt: skip
    options: dict[str, Any] = {"runtime": "binary", "bindAddress": "127.0.0.1"}
    options |= {key: free_port() for key in (*ports, "kwokControllerPort")}
    options |= {key: str(BIN / binary) for key, binary in binaries.items()}
    options["etcdVersion"] = version("etcd", 2, "etcd Version")
    options["kubeVersion"] = version("kube-apiserver", 1, "Kubernetes")
    service = [{"key": "service-cluster-ip-range", "value": service_range}]
    return {
        "apiVersion": "config.kwok.x-k8s.io/v1alpha1",
        "kind": "KwokctlConfiguration",
        "options": options,
        "componentsPatches": [
            {"name": "kube-apiserver", "extraArgs": [{"key": "enable-aggregator-routing", "value": "true"}, *service]},
            {"name": "kube-controller-manager", "extraArgs": service},
            {
                "name": "kwok-controller",
                "extraArgs": [
                    {"key": "manage-all-nodes", "value": "false", "override": True},
                    {"key": "manage-nodes-with-annotation-selector", "value": "kwok.x-k8s.io/node=fake"},
                ],
            },
        ],
    }


def kubectl(kubeconfig: pathlib.Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KUBECTL, "--kubeconfig", str(kubeconfig), *args], capture_output=True, text=True, check=False
    )


def wait_until(what: str, check: Any, *, seconds: float, log: pathlib.Path | None = None) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            tail = "\n".join(log.read_text().splitlines()[-20:]) if log and log.exists() else ""
            raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}\n{tail}")
        time.sleep(1)


@contextlib.contextmanager
def process_node(kubeconfig: pathlib.Path, state: pathlib.Path) -> Iterator[None]:
    """The process node for the fresh cluster, stopped (its pods' processes first) when the block ends."""
    octet = random.randrange(256)
    log = state.parent / "node.log"
    with log.open("w") as out:
        agent = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "modelplane"), "dev-node", "run", "--kubeconfig", str(kubeconfig),
             "--node-name", NODE, "--state-dir", str(state), "--pod-cidr", f"198.19.{octet}.0/24",
             "--webhook-port", str(free_port())],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    try:
        wait_until(
            f"node {NODE} to be Ready",
            lambda: (
                agent.poll() is None
                and kubectl(kubeconfig, "wait", "--for=condition=Ready", f"node/{NODE}", "--timeout=1s").returncode == 0
                and kubectl(kubeconfig, "get", "mutatingwebhookconfiguration", "modelplane-process-node").returncode
                == 0
            ),
            seconds=60,
            log=log,
        )
        yield
    finally:
        agent.send_signal(signal.SIGTERM)
        try:
            agent.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(agent.pid, signal.SIGKILL)
            agent.wait()


@pytest.fixture(scope="module")
def fresh_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pathlib.Path]:
    """A throwaway control plane with no CRD and a process node; yields its kubeconfig, then removes both."""
    workdir = tmp_path_factory.mktemp("fresh-cluster")
    env = {**os.environ, "KWOK_WORKDIR": str(workdir)}
    config = workdir / "kwokctl.yaml"
    config.write_text(json.dumps(kwokctl_config(f"10.97.{random.randrange(256)}.0/24")))
    kwokctl = [str(BIN / "kwokctl"), "--name", NAME]
    merged = str(workdir / "kubeconfig.merged")
    try:
        created = subprocess.run(
            [*kwokctl, "-c", str(config), "create", "cluster", "--kubeconfig", merged, "--wait", "120s"],
            env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert created.returncode == 0, created.stderr[-2000:]
        kubeconfig = workdir / "clusters" / NAME / "kubeconfig.yaml"
        wait_until(
            "the default ServiceAccount",
            lambda: kubectl(kubeconfig, "-n", "default", "get", "serviceaccount", "default").returncode == 0,
            seconds=60,
        )
        with process_node(kubeconfig, workdir / "node"):
            yield kubeconfig
    finally:
        subprocess.run([*kwokctl, "delete", "cluster", "--kubeconfig", merged], env=env, capture_output=True)


def helm(kubeconfig: pathlib.Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HELM, "--kubeconfig", str(kubeconfig), *args, "-n", NAMESPACE], capture_output=True, text=True, check=False
    )


def get(kubeconfig: pathlib.Path, *args: str) -> list[dict[str, Any]]:
    done = kubectl(kubeconfig, "get", *args, "-o", "json", "--show-managed-fields")
    assert done.returncode == 0, done.stderr
    items: list[dict[str, Any]] = json.loads(done.stdout)["items"]
    return items


def runtimes(kubeconfig: pathlib.Path) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in get(kubeconfig, "clusterservingruntimes")}


def hook(kubeconfig: pathlib.Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "modelplane"), "hook", "--kubeconfig", str(kubeconfig), *args],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_one_install_upgrade_and_uninstall_on_a_fresh_cluster(
    fresh_cluster: pathlib.Path, charts_dir: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    kubeconfig, chart = fresh_cluster, charts_dir / "platform"
    values = ["-f", str(ROOT / "hack" / "local-platform-values.yaml")]
    assert not [o for o in get(kubeconfig, "crd") if o["metadata"]["name"] in CRDS], "the cluster must be fresh"

    # Before the CRDs exist, the runtimes hook refuses to apply, naming the CRD, and has nothing to delete.
    selector = "app.kubernetes.io/instance=platform,modelplane.io/bundled=true"
    (tmp_path / "runtimes.yaml").write_text("")
    early = hook(kubeconfig, "apply-runtimes", "--dir", str(tmp_path), "--selector", selector, "--timeout", "2")
    assert early.returncode == 1
    assert "CRD clusterservingruntimes.serving.kserve.io is not Established after 2 s" in early.stderr
    nothing = hook(kubeconfig, "delete-runtimes", "--selector", selector)
    assert nothing.returncode == 0, nothing.stderr
    assert "is not installed; no ClusterServingRuntime to delete" in nothing.stdout

    install = helm(kubeconfig, "install", "platform", str(chart), *values, "--create-namespace", "--wait",
                   "--timeout", "4m")  # fmt: skip
    assert install.returncode == 0, install.stderr
    assert {o["metadata"]["name"] for o in get(kubeconfig, "crd")} >= CRDS
    pods = get(kubeconfig, "-n", NAMESPACE, "pods", "-l", "app.kubernetes.io/component=controller")
    assert [p["spec"].get("nodeName") for p in pods] == [NODE], "the controller must run as a process"
    live = runtimes(kubeconfig)
    assert set(live) == ALL_RUNTIMES
    for runtime in live.values():
        managers = {e["manager"] for e in runtime["metadata"]["managedFields"] if e["operation"] == "Apply"}
        assert managers == {HOOK_MANAGER}, runtime["metadata"]["name"]
        assert runtime["metadata"]["annotations"]["meta.helm.sh/release-name"] == "platform"
    assert not get(kubeconfig, "-n", NAMESPACE, "jobs"), "hook Jobs are deleted once they succeed"

    upgrade = helm(
        kubeconfig, "upgrade", "platform", str(chart), *values, "--wait", "--timeout", "4m",
        "--set", "modelplane.runtimes.triton.enabled=false",
        "--set", "modelplane.runtimes.modelplane.formats={sklearn}",
        "--set", "modelplane.runtimes.modelplane.priority=5",
    )  # fmt: skip
    assert upgrade.returncode == 0, upgrade.stderr
    live = runtimes(kubeconfig)
    assert set(live) == {f"modelplane-{r}" for r in ("sklearn", "multimodel", "torchserve", "tfserving", "mlserver")}
    formats = live["modelplane-sklearn"]["spec"]["supportedModelFormats"]
    assert [f["priority"] for f in formats] == [5]

    uninstall = helm(kubeconfig, "uninstall", "platform", "--wait", "--timeout", "3m")
    assert uninstall.returncode == 0, uninstall.stderr
    assert runtimes(kubeconfig) == {}
    assert {o["metadata"]["name"] for o in get(kubeconfig, "crd")} >= CRDS, "crds.keep must leave the CRDs"
    assert not get(
        kubeconfig, "-n", NAMESPACE, "deployments,jobs,configmaps", "-l", "app.kubernetes.io/instance=platform"
    )
    assert not [o for o in get(kubeconfig, "validatingwebhookconfigurations") if "platform" in o["metadata"]["name"]]


def test_switching_install_with_keeps_the_runtimes(fresh_cluster: pathlib.Path, charts_dir: pathlib.Path) -> None:
    """The standalone charts: a release may move from `hook` to `manifest` (Helm adopts the runtimes the hook
    applied, by the ownership annotations it wrote) and back (Helm deletes them, the hook applies them again)."""
    kubeconfig = fresh_cluster
    crds = helm(kubeconfig, "install", "crds", str(charts_dir / "modelplane-crds"), "--create-namespace",
                "--take-ownership", "--wait")  # fmt: skip
    assert crds.returncode == 0, crds.stderr
    chart = str(charts_dir / "modelplane")
    plain = ["--set", "webhook.certManager.enabled=false", "--set", "networkPolicy.enabled=false", "--wait"]
    for step, mode in (("install", "hook"), ("upgrade", "manifest"), ("upgrade", "hook")):
        done = helm(kubeconfig, step, "mp", chart, *plain, "--set", f"runtimes.installWith={mode}", "--timeout", "3m")
        assert done.returncode == 0, f"{step} with {mode}: {done.stderr}"
        assert set(runtimes(kubeconfig)) == ALL_RUNTIMES, f"{step} with {mode}"
        manifest = helm(kubeconfig, "get", "manifest", "mp").stdout
        objects = [line for line in manifest.splitlines() if line == "kind: ClusterServingRuntime"]
        assert len(objects) == (11 if mode == "manifest" else 0), f"{step} with {mode}"
    assert helm(kubeconfig, "uninstall", "mp", "--wait").returncode == 0
    assert runtimes(kubeconfig) == {}
    assert helm(kubeconfig, "uninstall", "crds", "--wait").returncode == 0
