"""Covers the process node end to end against the local control plane (marker `cluster`): a pod of the runtime
image serving a scikit-learn model from a PersistentVolumeClaim lands on the process node through the admission
webhook and the real scheduler, becomes Ready with its own address, appears in its Service's EndpointSlice,
answers a V1 prediction directly, from another pod by the Service's DNS name and cluster IP, and through the local
ingress, and its process stops when the pod is deleted;
an init container and a ServiceAccount token work as in a cluster; a pod of another image stays with kwok."""

from __future__ import annotations

import ipaddress
import json
import os
import pathlib
import subprocess
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.cluster

ROOT = pathlib.Path(__file__).resolve().parents[3]
MODELPLANE = ROOT / ".venv" / "bin" / "modelplane"
IRIS = {"instances": [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]}


@pytest.fixture(scope="module")
def core(kube_cluster: pathlib.Path) -> Any:
    from kubernetes import client, config

    return client.CoreV1Api(config.new_client_from_config(config_file=str(kube_cluster)))


def wait_for(what: str, check: Callable[[], Any], timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


def pod_dict(core: Any, namespace: str, name: str) -> dict[str, Any]:
    return json.loads(core.read_namespaced_pod(name, namespace, _preload_content=False).data)


def pod_when(core: Any, namespace: str, name: str, predicate: Callable[[dict[str, Any]], bool]) -> Callable[[], Any]:
    """A check for `wait_for`: the pod when `predicate` holds for it, else None."""

    def check() -> dict[str, Any] | None:
        pod = pod_dict(core, namespace, name)
        return pod if predicate(pod) else None

    return check


def is_ready(pod: dict[str, Any]) -> bool:
    return any(
        c["type"] == "Ready" and c["status"] == "True" for c in (pod.get("status") or {}).get("conditions") or []
    )


def train_iris(directory: pathlib.Path) -> None:
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    data = load_iris()
    directory.mkdir(parents=True, exist_ok=True)
    joblib.dump(LogisticRegression(max_iter=500).fit(data.data, data.target), directory / "model.joblib")


def post(url: str, body: dict[str, Any], *, host: str | None = None) -> dict[str, Any]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    if host:
        request.add_header("Host", host)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_runtime_pod_serves_a_model_through_service_and_ingress(
    core: Any, namespace: str, process_node: pathlib.Path, local_ingress: str, kube_cluster: pathlib.Path
) -> None:
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=str(kube_cluster))
    train_iris(process_node / "claims" / namespace / "models")
    core.create_persistent_volume(
        {
            "metadata": {"name": f"{namespace}-models"},
            "spec": {
                "capacity": {"storage": "1Gi"},
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "",
                "hostPath": {"path": str(process_node / "claims" / namespace / "models")},
                "claimRef": {"namespace": namespace, "name": "models"},
            },
        }
    )
    try:
        core.create_namespaced_persistent_volume_claim(
            namespace,
            {
                "metadata": {"name": "models"},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "storageClassName": "",
                    "volumeName": f"{namespace}-models",
                    "resources": {"requests": {"storage": "1Gi"}},
                },
            },
        )
        core.create_namespaced_pod(
            namespace,
            {
                "metadata": {"name": "iris", "labels": {"app": "iris"}},
                "spec": {
                    "terminationGracePeriodSeconds": 10,
                    "containers": [
                        {
                            "name": "kserve-container",
                            "image": "modelplane/runtime:0.1.0",
                            "args": [
                                "--model_name",
                                "iris",
                                "--model_dir",
                                "/mnt/models",
                                "--http_port",
                                "8080",
                                "--grpc_port",
                                "8081",
                                "--http_host",
                                "0.0.0.0",
                            ],
                            "ports": [{"name": "http", "containerPort": 8080}],
                            "readinessProbe": {
                                "httpGet": {"path": "/v2/models/iris/ready", "port": "http"},
                                "periodSeconds": 1,
                            },
                            "livenessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 5},
                            "volumeMounts": [{"name": "models", "mountPath": "/mnt/models", "readOnly": True}],
                        }
                    ],
                    "volumes": [{"name": "models", "persistentVolumeClaim": {"claimName": "models"}}],
                },
            },
        )
        core.create_namespaced_service(
            namespace,
            {
                "metadata": {"name": "iris"},
                "spec": {
                    "selector": {"app": "iris"},
                    "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
                },
            },
        )
        client.NetworkingV1Api(api).create_namespaced_ingress(
            namespace,
            {
                "metadata": {"name": "iris"},
                "spec": {
                    "rules": [
                        {
                            "host": f"iris.{namespace}.example.com",
                            "http": {
                                "paths": [
                                    {
                                        "path": "/",
                                        "pathType": "Prefix",
                                        "backend": {"service": {"name": "iris", "port": {"number": 80}}},
                                    }
                                ]
                            },
                        }
                    ]
                },
            },
        )

        pod = wait_for("the runtime pod to be Ready", pod_when(core, namespace, "iris", is_ready))
        assert pod["spec"]["nodeName"] == "local-process-node"
        ip = pod["status"]["podIP"]
        assert ipaddress.ip_address(ip) in ipaddress.ip_network("198.18.0.0/16")

        discovery = client.DiscoveryV1Api(api)

        def listed() -> list[str]:
            slices = discovery.list_namespaced_endpoint_slice(
                namespace, label_selector="kubernetes.io/service-name=iris"
            )
            return [a for s in slices.items for e in s.endpoints or [] if e.conditions.ready for a in e.addresses]

        assert wait_for("the EndpointSlice to list the pod", listed) == [ip]
        assert post(f"http://{ip}:8080/v1/models/iris:predict", IRIS) == {"predictions": [1, 1]}
        answer = wait_for(
            "the local ingress to route the Ingress",
            lambda: _try_post(f"{local_ingress}/v1/models/iris:predict", host=f"iris.{namespace}.example.com"),
        )
        assert answer == {"predictions": [1, 1]}

        # Another pod reaches the model by the Service's DNS names and cluster IP, as in a cluster. Like any client of
        # a Service it tries a few times (its endpoint may be briefly unready on a busy machine); every failed try is
        # in its log, and the node agent's log is in the failure message.
        client_code = "\n".join(
            (
                "import json, sys, time, urllib.request as u",
                f"body = json.dumps({IRIS!r}).encode()",
                "def ask(url):",
                "    for attempt in range(5):",
                "        try:",
                "            return json.load(u.urlopen(u.Request(url, data=body), timeout=10))['predictions']",
                "        except OSError as exc:",
                "            print(f'try {attempt + 1} of {url}: {exc!r}', file=sys.stderr, flush=True)",
                "            time.sleep(1)",
                "    raise SystemExit(f'no answer from {url}')",
                "print([ask(url) for url in ('http://iris/v1/models/iris:predict', "
                f"'http://iris.{namespace}.svc.cluster.local/v1/models/iris:predict')])",
            )
        )
        core.create_namespaced_pod(
            namespace,
            {
                "metadata": {"name": "client"},
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        {"name": "c", "image": "modelplane/controller:0.1.0", "command": ["python", "-c", client_code]}
                    ],
                },
            },
        )
        client_pod = wait_for(
            "the client pod to finish",
            pod_when(core, namespace, "client", lambda p: p["status"].get("phase") in ("Succeeded", "Failed")),
        )
        client_logs = subprocess.run(
            [str(MODELPLANE), "dev-node", "logs", "client", "-n", namespace, "--state-dir", str(process_node)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        agent_log = (process_node / "agent.log").read_text(errors="replace")[-4000:]
        assert client_pod["status"]["phase"] == "Succeeded", f"{client_logs}\n--- node agent log (end) ---\n{agent_log}"
        assert "[[1, 1], [1, 1]]" in client_logs

        logs = subprocess.run(
            [str(MODELPLANE), "dev-node", "logs", "iris", "-n", namespace, "--state-dir", str(process_node)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        assert logs.strip(), "the container's log is empty"

        pid = int(pod["status"]["containerStatuses"][0]["containerID"].removeprefix("process://"))
        assert pathlib.Path(f"/proc/{pid}").exists()
        core.delete_namespaced_pod("iris", namespace)
        wait_for(
            "the pod object to go",
            lambda: not core.list_namespaced_pod(namespace, field_selector="metadata.name=iris").items,
        )
        assert not pathlib.Path(f"/proc/{pid}").exists() or _zombie(pid)
    finally:
        core.delete_persistent_volume(f"{namespace}-models")


def _try_post(url: str, *, host: str) -> dict[str, Any] | None:
    try:
        return post(url, IRIS, host=host)
    except OSError:
        return None


def _zombie(pid: int) -> bool:
    try:
        return pathlib.Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] == "Z"
    except OSError:
        return True


def test_init_container_env_from_secret_and_service_account_token(
    core: Any, namespace: str, process_node: pathlib.Path
) -> None:
    core.create_namespaced_secret(
        namespace, {"metadata": {"name": "creds"}, "stringData": {"TOKEN_NAME": "from-secret"}}
    )
    who = (
        "import json, urllib.request, ssl, os;"
        "d='/var/run/secrets/kubernetes.io/serviceaccount';"
        "ctx=ssl.create_default_context(cafile=d+'/ca.crt');"
        "url='https://%s:%s/apis/authentication.k8s.io/v1/selfsubjectreviews' % "
        "(os.environ['KUBERNETES_SERVICE_HOST'], os.environ['KUBERNETES_SERVICE_PORT']);"
        "body=json.dumps({'apiVersion':'authentication.k8s.io/v1','kind':'SelfSubjectReview'}).encode();"
        "req=urllib.request.Request(url, data=body, headers={'Authorization':'Bearer '+open(d+'/token').read(),"
        "'Content-Type':'application/json'});"
        "print('user', json.load(urllib.request.urlopen(req, context=ctx))['status']['userInfo']['username']);"
        "print('init wrote', open('/scratch/out.txt').read());"
        "print('namespace', open(d+'/namespace').read())"
    )
    core.create_namespaced_pod(
        namespace,
        {
            "metadata": {"name": "job"},
            "spec": {
                "restartPolicy": "Never",
                "initContainers": [
                    {
                        "name": "prepare",
                        "image": "modelplane/controller:0.1.0",
                        "command": ["python", "-c"],
                        "args": ["import os; open('/scratch/out.txt','w').write(os.environ['TOKEN_NAME'])"],
                        "envFrom": [{"secretRef": {"name": "creds"}}],
                        "volumeMounts": [{"name": "work", "mountPath": "/scratch"}],
                    }
                ],
                "containers": [
                    {
                        "name": "main",
                        "image": "modelplane/controller:0.1.0",
                        "command": ["python", "-c", who],
                        "volumeMounts": [{"name": "work", "mountPath": "/scratch"}],
                    }
                ],
                "volumes": [{"name": "work", "emptyDir": {}}],
            },
        },
    )
    pod = wait_for(
        "the pod to finish",
        pod_when(core, namespace, "job", lambda p: p["status"].get("phase") in ("Succeeded", "Failed")),
    )
    logs = subprocess.run(
        [str(MODELPLANE), "dev-node", "logs", "job", "-n", namespace, "-c", "main", "--state-dir", str(process_node)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert pod["status"]["phase"] == "Succeeded", logs
    assert f"user system:serviceaccount:{namespace}:default" in logs
    assert "init wrote from-secret" in logs
    assert f"namespace {namespace}" in logs
    assert pod["status"]["initContainerStatuses"][0]["state"]["terminated"]["exitCode"] == 0


def test_a_pod_of_another_image_stays_with_kwok(core: Any, namespace: str, process_node: pathlib.Path) -> None:
    core.create_namespaced_pod(
        namespace,
        {
            "metadata": {"name": "web"},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
        },
    )
    pod = wait_for(
        "the pod to be scheduled",
        pod_when(core, namespace, "web", lambda p: bool(p["spec"].get("nodeName"))),
    )
    assert pod["spec"]["nodeName"].startswith("kwok-node-")
    assert "tolerations" not in pod["spec"] or all(
        t.get("key") != "modelplane.dev/process-node" for t in pod["spec"]["tolerations"]
    )
    assert os.geteuid() == 0
