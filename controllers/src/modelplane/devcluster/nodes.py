"""The process node's Node and Lease objects, built as plain manifests (pure).

The Node carries no `kwok.x-k8s.io/node` annotation, so kwok leaves it alone, and a NoSchedule taint, so only pods
that tolerate it (the ones the admission webhook marks) land on it. The Lease in `kube-node-lease` is the node's
heartbeat: the node lifecycle controller marks the node unreachable when it is not renewed.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping
from typing import Any

from modelplane.devcluster import admission

LEASE_SECONDS = 40
KUBELET_VERSION = "v1.34.4"


def labels(name: str) -> dict[str, str]:
    """The node's labels; `modelplane.dev/process-node` is what the webhook's node selector matches."""
    return {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64" if platform.machine() in ("x86_64", "AMD64") else platform.machine(),
        "type": "process",
        admission.LABEL: "true",
    }


def node(name: str) -> dict[str, Any]:
    """The Node object as first created (status is written separately through `nodes/status`)."""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels(name), "annotations": {"node.alpha.kubernetes.io/ttl": "0"}},
        "spec": {"taints": [dict(admission.TAINT)]},
    }


def status(*, host_ip: str, allocatable: Mapping[str, str], now: str, boot_id: str) -> dict[str, Any]:
    """The node's status: Ready, with the host's loopback address and room for many pods."""
    pressure = [
        {
            "type": kind,
            "status": "False",
            "reason": f"KubeletHas{reason}",
            "lastHeartbeatTime": now,
            "lastTransitionTime": now,
        }
        for kind, reason in (
            ("MemoryPressure", "SufficientMemory"),
            ("DiskPressure", "NoDiskPressure"),
            ("PIDPressure", "SufficientPID"),
        )
    ]
    ready = {
        "type": "Ready",
        "status": "True",
        "reason": "KubeletReady",
        "message": "the process node runs pods as local processes",
        "lastHeartbeatTime": now,
        "lastTransitionTime": now,
    }
    return {
        "capacity": dict(allocatable),
        "allocatable": dict(allocatable),
        "conditions": [*pressure, ready],
        "addresses": [{"type": "InternalIP", "address": host_ip}, {"type": "Hostname", "address": "localhost"}],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 0}},
        "nodeInfo": {
            "machineID": boot_id,
            "systemUUID": boot_id,
            "bootID": boot_id,
            "kernelVersion": platform.release(),
            "osImage": "Modelplane process node",
            "containerRuntimeVersion": "process://local",
            "kubeletVersion": KUBELET_VERSION,
            "kubeProxyVersion": "",
            "operatingSystem": "linux",
            "architecture": labels("x")["kubernetes.io/arch"],
        },
    }


def lease(name: str, *, node_uid: str, now: str) -> dict[str, Any]:
    """The node's Lease, owned by the Node so it goes when the node does."""
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {
            "name": name,
            "namespace": "kube-node-lease",
            "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": name, "uid": node_uid}],
        },
        "spec": {"holderIdentity": name, "leaseDurationSeconds": LEASE_SECONDS, "renewTime": now},
    }
