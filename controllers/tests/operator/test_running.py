"""Tests of the operator's start-up: the configuration read from the `inferenceservice-config` ConfigMap (against
the local control plane), KServe's defaults when it is missing, a malformed one stopping the start with the key
named, and which child APIs the cluster serves.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
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
