"""Fixtures of the operator's cluster tests: CRDs installed, the operator running as a process, a namespace per test.

The run's operator watches only namespaces named `mpc-<run>-*`, registers its own webhook configuration and holds
its own Lease in `mpc-<run>-system`, so parallel suites on the shared cluster leave each other alone;
`start_operator` starts further processes (the high-availability pair) on namespaces outside that pattern. On a
failing test the namespace's objects, its events and the operator's log are printed, so a red run explains itself.
Helpers that wait on the API server are fixtures too (`kube`), since tests import no sibling module.
"""

from __future__ import annotations

import json
import os
import pathlib
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
KUBECTL = ROOT / "bin" / "kubectl"
# Unique per run, so a parallel `make run` or another suite's operator on the shared cluster is left alone: this
# session's operator watches only namespaces named `mpc-*` and manages its own webhook configuration.
RUN_ID = uuid.uuid4().hex[:6]
WEBHOOK_CONFIGURATION = f"mpc-{RUN_ID}.modelplane.serving.kserve.io"
NAMESPACE_PREFIX = f"mpc-{RUN_ID}-"
CRD_DIRS = (
    ROOT / "charts" / "modelplane-crds" / "files" / "crds",
    ROOT / "controllers" / "tests" / "fixtures" / "crds",
)
RUNTIMES = """
apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
metadata: {name: e2e-sklearn}
spec:
  supportedModelFormats: [{name: sklearn, version: "1", autoSelect: true, priority: 1}]
  protocolVersions: [v1, v2]
  containers:
  - name: kserve-container
    image: modelplane/runtime:0.1.0
    args: ["--model_name={{.Name}}", "--model_dir=/mnt/models", "--http_host=0.0.0.0"]
---
apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
metadata: {name: e2e-tensorflow}
spec:
  supportedModelFormats: [{name: tensorflow, version: "2", autoSelect: true}]
  protocolVersions: [v1, grpc-v1]
  containers:
  - name: kserve-container
    image: tensorflow/serving:2.14.1
    args: ["--model_name={{.Name}}", "--model_base_path=/mnt/models", "--rest_api_port=8080"]
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def kubectl(*args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run bin/kubectl against the test cluster (KUBECONFIG is set by the kube_cluster fixture)."""
    return subprocess.run(
        [str(KUBECTL), *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def control_plane(kube_cluster: pathlib.Path) -> pathlib.Path:
    """The local cluster with the CRDs (ours and the test Knative/Istio ones) and two cluster runtimes, and without
    the platform release `make demo` / `make e2e` install: its controller watches every namespace and would
    reconcile this run's objects too (they reinstall it)."""
    platform = str(ROOT / "hack" / "local-platform.sh")
    if subprocess.run([platform, "status"], capture_output=True, check=False).returncode == 0:
        print("the operator tests need the cluster's InferenceServices to themselves: uninstalling the local platform")
        subprocess.run([platform, "down"], check=True)
    for crd_dir in CRD_DIRS:
        kubectl("apply", "--server-side", "--force-conflicts", "-f", str(crd_dir))
        kubectl("wait", "--for=condition=Established", "--timeout=60s", "-f", str(crd_dir))
    kubectl("apply", "-f", "-", stdin=RUNTIMES)
    return kube_cluster


class Operator:
    """One `modelplane operator` process of a test: its log, ports, and how to stop it."""

    def __init__(self, *, kubeconfig: pathlib.Path, log_path: pathlib.Path, args: list[str], pod_name: str) -> None:
        self.log_path = log_path
        self.health_port = _free_port()
        self.webhook_port = _free_port()
        self.metrics_port = _free_port()
        self.pod_name = pod_name
        env = {**os.environ, "KUBECONFIG": str(kubeconfig), "POD_NAME": pod_name}
        command = [
            sys.executable,
            "-m",
            "modelplane.cli",
            "operator",
            "--webhook-port",
            str(self.webhook_port),
            "--health-port",
            str(self.health_port),
            "--metrics-port",
            str(self.metrics_port),
            "--verbose",
            *args,
        ]
        with log_path.open("w") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)

    def log(self, lines: int = 200) -> str:
        return "\n".join(self.log_path.read_text().splitlines()[-lines:])

    def metrics(self) -> str:
        """The text the operator serves at /metrics."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5) as answer:
            return str(answer.read().decode())

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.health_port}/healthz", timeout=2) as answer:
                return bool(answer.status == 200)
        except OSError:
            return False

    def wait_healthy(self, *, webhook_configuration: str | None = None, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"the operator exited with {self.process.returncode}:\n{self.log(60)}")
            registered = webhook_configuration is None or (
                kubectl("get", "validatingwebhookconfiguration", webhook_configuration, check=False).returncode == 0
            )
            if registered and self.healthy():
                return
            if time.monotonic() > deadline:
                pytest.fail(f"the operator did not become healthy in {timeout:.0f} s:\n{self.log(60)}")
            time.sleep(0.5)

    def stop(self, *, timeout: float = 40) -> None:
        """SIGTERM, as Kubernetes stops a pod; SIGKILL only if it does not exit in time."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="session")
def system_namespace(control_plane: pathlib.Path) -> Iterator[str]:
    """The controller namespace of this run's operators (its Lease lives there; no ConfigMap: defaults)."""
    name = f"{NAMESPACE_PREFIX}system"
    kubectl("create", "namespace", name)
    yield name
    kubectl("delete", "namespace", name, "--wait=false", check=False)


@pytest.fixture(scope="session")
def operator_process(main_operator: Operator) -> pathlib.Path:
    """The run's main operator (see `main_operator`); its log path."""
    return main_operator.log_path


@pytest.fixture(scope="session")
def main_operator(
    control_plane: pathlib.Path, system_namespace: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Operator]:
    """`modelplane operator --register-webhook` watching this run's `mpc-<run>-*` namespaces."""
    log_path = tmp_path_factory.mktemp("operator") / "operator.log"
    operator = Operator(
        kubeconfig=control_plane,
        log_path=log_path,
        pod_name=f"mpc-{RUN_ID}",
        args=[
            "--register-webhook",
            "--webhook-configuration",
            WEBHOOK_CONFIGURATION,
            "--namespace",
            f"{NAMESPACE_PREFIX}*",
            "--controller-namespace",
            system_namespace,
        ],
    )
    try:
        operator.wait_healthy(webhook_configuration=WEBHOOK_CONFIGURATION)
        yield operator
    finally:
        operator.stop()
        kubectl("delete", "validatingwebhookconfiguration", WEBHOOK_CONFIGURATION, "--ignore-not-found", check=False)


@pytest.fixture
def unwatched_namespace(control_plane: pathlib.Path) -> Iterator[str]:
    """A fresh namespace outside this run's `mpc-<run>-*` pattern, which the main operator does not watch."""
    name = f"mph-{RUN_ID}-{uuid.uuid4().hex[:4]}"
    kubectl("create", "namespace", name)
    yield name
    kubectl("delete", "namespace", name, "--wait=false", check=False)


@pytest.fixture
def start_operator(
    control_plane: pathlib.Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., Operator]]:
    """Start further operator processes (`start_operator(pod_name, *args, kubeconfig=...)`, the cluster admin's
    kubeconfig unless another is given); all are stopped after the test."""
    started: list[Operator] = []

    def start(pod_name: str, *args: str, kubeconfig: pathlib.Path | None = None) -> Operator:
        log_path = tmp_path_factory.mktemp("operator") / f"{pod_name}.log"
        operator = Operator(
            kubeconfig=kubeconfig or control_plane, log_path=log_path, pod_name=pod_name, args=list(args)
        )
        started.append(operator)
        return operator

    yield start
    for operator in started:
        operator.stop()


@pytest.fixture
def namespace(operator_process: pathlib.Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace; on failure, its objects, events and the operator's log are printed."""
    name = f"{NAMESPACE_PREFIX}{uuid.uuid4().hex[:6]}"
    kubectl("create", "namespace", name)
    yield name
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        kinds = ",".join(
            (
                "inferenceservices",
                "trainedmodels",
                "services.serving.knative.dev",
                "virtualservices",
                "deployments",
            )
        )
        kinds += ",services,hpa,ingresses,pods"
        print(
            f"\n===== objects in {name} =====\n" + kubectl("get", kinds, "-n", name, "-o", "yaml", check=False).stdout
        )
        print(
            f"\n===== events in {name} =====\n"
            + kubectl("get", "events", "-n", name, "--sort-by=.lastTimestamp", check=False).stdout
        )
        print(
            "\n===== operator log (last 200 lines) =====\n"
            + "\n".join(operator_process.read_text().splitlines()[-200:])
        )
    kubectl("delete", "namespace", name, "--wait=false", check=False)


class Kube:
    """Small waits and reads on the cluster for the journeys (JSON through kubectl, as a user would)."""

    def get(self, kind: str, name: str, *, namespace: str) -> dict[str, Any] | None:
        result = kubectl("get", kind, name, "-n", namespace, "-o", "json", "--show-managed-fields", check=False)
        return json.loads(result.stdout) if result.returncode == 0 else None

    def list(self, kind: str, *, namespace: str, selector: str | None = None) -> list[dict[str, Any]]:
        args = ["get", kind, "-n", namespace, "-o", "json"]
        if selector:
            args += ["-l", selector]
        return list(json.loads(kubectl(*args).stdout)["items"])

    def apply(self, manifest: str) -> subprocess.CompletedProcess[str]:
        """`kubectl apply` a manifest (YAML or JSON) as a user would; the result, which the test checks."""
        return kubectl("apply", "-f", "-", stdin=manifest, check=False)

    def delete(self, kind: str, name: str, *, namespace: str) -> subprocess.CompletedProcess[str]:
        """`kubectl delete` an object (without waiting for finalizers); the result, which the test checks."""
        return kubectl("delete", kind, name, "-n", namespace, "--wait=false", check=False)

    def wait_for(self, what: str, probe: Callable[[], Any], *, timeout: float = 60) -> Any:
        """Poll `probe` until it returns something truthy; fail naming `what` after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = probe()
            if value:
                return value
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
            time.sleep(0.5)

    def condition(self, obj: dict[str, Any] | None, type_: str) -> str | None:
        for condition in ((obj or {}).get("status") or {}).get("conditions") or []:
            if condition.get("type") == type_:
                return str(condition.get("status"))
        return None

    def mark_knative_ready(self, name: str, *, namespace: str, revision: str) -> None:
        """Do what Knative would: report the Knative Service Ready with `revision` serving all traffic."""
        ksvc = self.get("services.serving.knative.dev", name, namespace=namespace)
        assert ksvc is not None, f"Knative Service {name} does not exist"
        status = {
            "observedGeneration": ksvc["metadata"]["generation"],
            "url": f"http://{name}.{namespace}.svc.cluster.local",
            "latestCreatedRevisionName": revision,
            "latestReadyRevisionName": revision,
            "traffic": [{"revisionName": revision, "latestRevision": True, "percent": 100}],
            "conditions": [{"type": "Ready", "status": "True"}],
        }
        kubectl(
            "patch",
            "services.serving.knative.dev",
            name,
            "-n",
            namespace,
            "--subresource=status",
            "--type=merge",
            "-p",
            json.dumps({"status": status}),
        )


@pytest.fixture
def kube() -> Kube:
    """Cluster reads and waits."""
    return Kube()
