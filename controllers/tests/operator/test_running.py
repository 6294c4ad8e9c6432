"""Tests of the operator's start-up: the configuration read from the `inferenceservice-config` ConfigMap (against
the local control plane), KServe's defaults when it is missing, a malformed one stopping the start with the key
named, and which child APIs the cluster serves. And what outlives a restart: an InferenceService without the mode
annotation keeps the mode recorded in its status (and its children) when the operator comes back with another
default, and the webhook refuses an annotation that names another mode than the recorded one. And least privilege:
an operator holding nothing but the generated ClusterRole takes its Lease, reads its ConfigMap and the storage
Secret by name, creates a Raw InferenceService's children, turns it Ready and posts its Events, with no request
refused. A metrics port another process holds stops the start with exit 2 and the port named, no traceback.
"""

from __future__ import annotations

import json
import pathlib
import socket
import subprocess
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from modelplane.api import rbac
from modelplane.operator import clients, running
from modelplane.reconcile import config as config_mod
from modelplane.reconcile import errors

pytestmark = pytest.mark.cluster


def _configmap(namespace: str, data: dict[str, str]) -> str:
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": running.CONFIGMAP, "namespace": namespace},
            "data": data,
        }
    )


def test_configmap_is_read(namespace: str, kube: Any) -> None:
    data = {"deploy": '{"defaultDeploymentMode": "RawDeployment"}', "ingress": '{"ingressDomain": "models.test"}'}
    assert kube.apply(_configmap(namespace, data)).returncode == 0
    config = running.read_config(clients.Cluster.connect(), namespace=namespace)
    assert (config.default_deployment_mode, config.ingress.domain) == ("RawDeployment", "models.test")


def test_missing_configmap_means_defaults(namespace: str) -> None:
    assert running.read_config(clients.Cluster.connect(), namespace=namespace) == config_mod.Config()


def test_malformed_configmap_is_refused(namespace: str, kube: Any) -> None:
    assert kube.apply(_configmap(namespace, {"ingress": "{broken"})).returncode == 0
    with pytest.raises(errors.ConfigError, match="'ingress' is not valid JSON"):
        running.read_config(clients.Cluster.connect(), namespace=namespace)


def test_served_child_apis_are_found(namespace: str) -> None:
    found = running.available_children(clients.Cluster.connect())
    assert {"child_deployment", "child_service", "child_hpa", "child_ksvc", "child_vs"} <= found


def test_recorded_mode_outlives_a_restart_with_another_default(
    unwatched_namespace: str, start_operator: Callable[..., Any], kube: Any
) -> None:
    namespace = unwatched_namespace  # the operator's own namespace doubles as its controller namespace
    args = ("--namespace", namespace, "--controller-namespace", namespace, "--lease-name", "mode-test")
    configmap = {"deploy": json.dumps({"defaultDeploymentMode": "RawDeployment"})}
    assert kube.apply(_configmap(namespace, configmap)).returncode == 0
    isvc = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "keep", "namespace": namespace},
        "spec": {"predictor": {"tensorflow": {"storageUri": "gs://models/keep"}}},
    }
    first = start_operator("op-mode-1", *args)
    first.wait_healthy()
    assert kube.apply(json.dumps(isvc)).returncode == 0
    recorded = kube.wait_for(
        "the recorded mode",
        lambda: ((kube.get("inferenceservice", "keep", namespace=namespace) or {}).get("status") or {}).get(
            "deploymentMode"
        ),
    )
    assert recorded == "RawDeployment"
    kube.wait_for("the Deployment", lambda: kube.get("deployment", "keep-predictor", namespace=namespace))
    first.stop()

    configmap["deploy"] = json.dumps({"defaultDeploymentMode": "Serverless"})
    assert kube.apply(_configmap(namespace, configmap)).returncode == 0
    second = start_operator("op-mode-2", *args)
    second.wait_healthy()
    isvc["spec"]["predictor"]["minReplicas"] = 2  # a change, so the restarted operator surely reconciles it
    assert kube.apply(json.dumps(isvc)).returncode == 0

    def reconciled() -> bool:
        hpa = kube.get("hpa", "keep-predictor", namespace=namespace) or {}
        return bool(hpa.get("spec", {}).get("minReplicas") == 2)

    kube.wait_for("the HPA to follow the change", reconciled)
    assert kube.get("deployment", "keep-predictor", namespace=namespace) is not None, "the Deployment was pruned"
    ksvc = kube.get("services.serving.knative.dev", "keep-predictor", namespace=namespace)
    assert ksvc is None, "the new default was used"
    status = (kube.get("inferenceservice", "keep", namespace=namespace) or {}).get("status") or {}
    assert status.get("deploymentMode") == "RawDeployment"

    isvc["metadata"]["annotations"] = {"serving.kserve.io/deploymentMode": "Serverless"}
    refused = kube.apply(json.dumps(isvc))
    assert refused.returncode != 0, "the webhook let the annotation contradict the recorded mode"
    assert "was RawDeployment, now Serverless" in refused.stderr


def _kubectl(kubeconfig: pathlib.Path, *args: str, stdin: str | None = None) -> str:
    kubectl = pathlib.Path(__file__).resolve().parents[3] / "bin" / "kubectl"
    done = subprocess.run(
        [str(kubectl), "--kubeconfig", str(kubeconfig), *args], input=stdin, text=True, capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_generated_cluster_role_is_all_the_operator_needs(
    control_plane: pathlib.Path,
    unwatched_namespace: str,
    start_operator: Callable[..., Any],
    kube: Any,
    tmp_path: pathlib.Path,
) -> None:
    namespace = unwatched_namespace
    name = f"modelplane-controller-{uuid.uuid4().hex[:6]}"
    role = rbac.controller_cluster_role()
    role["metadata"]["name"] = name
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
        "subjects": [{"kind": "ServiceAccount", "name": "controller", "namespace": namespace}],
    }
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "controller", "namespace": namespace}}
    storage = [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "s3", "namespace": namespace},
            "stringData": {"AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "key"},
        },
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "models", "namespace": namespace},
            "secrets": [{"name": "s3"}],
        },
    ]
    try:
        for manifest in (role, binding, account, *storage):
            _kubectl(control_plane, "apply", "-f", "-", stdin=json.dumps(manifest))
        token = _kubectl(control_plane, "create", "token", "controller", "-n", namespace, "--duration=1h").strip()
        admin = yaml.safe_load(control_plane.read_text())
        cluster = admin["clusters"][0]["cluster"]
        restricted = tmp_path / "kubeconfig"
        restricted.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [{"name": "local", "cluster": cluster}],
                    "users": [{"name": "controller", "user": {"token": token}}],
                    "contexts": [{"name": "controller", "context": {"cluster": "local", "user": "controller"}}],
                    "current-context": "controller",
                }
            )
        )
        configmap = {"deploy": json.dumps({"defaultDeploymentMode": "RawDeployment"})}
        assert kube.apply(_configmap(namespace, configmap)).returncode == 0
        operator = start_operator(
            "op-rbac",
            "--namespace",
            namespace,
            "--controller-namespace",
            namespace,
            kubeconfig=restricted,
        )
        operator.wait_healthy()
        isvc = {
            "apiVersion": "serving.kserve.io/v1beta1",
            "kind": "InferenceService",
            "metadata": {"name": "least", "namespace": namespace},
            "spec": {
                "predictor": {
                    "serviceAccountName": "models",
                    "tensorflow": {"storageUri": "s3://models/least"},
                }
            },
        }
        assert kube.apply(json.dumps(isvc)).returncode == 0
        ready = kube.wait_for(
            "the InferenceService to turn Ready",
            lambda: kube.condition(kube.get("inferenceservice", "least", namespace=namespace), "Ready") == "True",
            timeout=90,
        )
        assert ready
        deployment = kube.get("deployment", "least-predictor", namespace=namespace) or {}
        init = deployment["spec"]["template"]["spec"]["initContainers"][0]
        assert {e["name"] for e in init.get("env", [])} >= {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
        lease = kube.get("lease", "modelplane-controller", namespace=namespace) or {}
        assert lease.get("spec", {}).get("holderIdentity", "").startswith("op-rbac_")
        status = (kube.get("inferenceservice", "least", namespace=namespace) or {}).get("status") or {}
        assert status.get("deploymentMode") == "RawDeployment", "this operator recorded the mode (its status patch)"
        kube.wait_for(
            "an Event from this operator",
            lambda: any(
                str(e.get("reportingInstance", "")).startswith("op-rbac_")
                for e in kube.list("events", namespace=namespace)
            ),
        )
        log = operator.log(2000)
        assert "may not list/watch endpointslices" not in log
        assert "HTTP 403" not in log
        assert "forbidden" not in log.lower(), log
    finally:
        for kind in ("clusterrolebinding", "clusterrole"):
            subprocess.run(
                [str(pathlib.Path(__file__).resolve().parents[3] / "bin" / "kubectl"), "delete", kind, name],
                capture_output=True,
                check=False,
            )


def test_a_metrics_port_in_use_stops_the_start_naming_it(
    unwatched_namespace: str, start_operator: Callable[..., Any]
) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        args = ("--namespace", unwatched_namespace, "--controller-namespace", unwatched_namespace)
        operator = start_operator("op-metrics-port", *args, "--metrics-port", str(port))
        assert operator.process.wait(timeout=60) == 2
    log = operator.log()
    assert f"cannot serve /metrics on 127.0.0.1:{port}" in log
    assert "--metrics-port" in log
    assert "Traceback" not in log
