"""The hook jobs' connection to the API server: in-cluster credentials in a pod, the kubeconfig elsewhere."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from kubernetes import client, config
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import ResourceNotFoundError
from modelplane.hooks import errors

FIELD_MANAGER = "modelplane-hook"


@dataclasses.dataclass
class Cluster:
    """One API client and the dynamic client built on it (discovery runs once, on first use)."""

    api: client.ApiClient

    @classmethod
    def connect(cls, *, kubeconfig: str | None = None) -> Cluster:
        """Credentials from the pod's service account, else from `kubeconfig` (or $KUBECONFIG, ~/.kube/config)."""
        if kubeconfig is None:
            try:
                config.load_incluster_config()
                return cls(api=client.ApiClient())
            except config.ConfigException:
                pass
        try:
            return cls(api=config.new_client_from_config(config_file=kubeconfig))
        except (config.ConfigException, OSError) as exc:
            raise errors.HookError(
                f"no cluster credentials: not in a pod and no usable kubeconfig ({exc}); set KUBECONFIG"
            ) from exc

    @functools.cached_property
    def dynamic(self) -> DynamicClient:
        return DynamicClient(self.api)

    def resource(self, *, api_version: str, kind: str) -> Any:
        """The dynamic resource for a kind, re-reading discovery once if the kind is new (a CRD just applied)."""
        try:
            return self.dynamic.resources.get(api_version=api_version, kind=kind)
        except ResourceNotFoundError:
            self.dynamic.resources.invalidate_cache()
            try:
                return self.dynamic.resources.get(api_version=api_version, kind=kind)
            except ResourceNotFoundError as exc:
                raise errors.HookError(
                    f"the API server does not serve {kind} ({api_version}); install the CRD that defines it first"
                ) from exc

    def apply(self, obj: dict[str, Any]) -> Any:
        """Server-side apply one object with the hooks' field manager, taking over conflicting fields."""
        resource = self.resource(api_version=obj["apiVersion"], kind=obj["kind"])
        meta = obj["metadata"]
        return resource.server_side_apply(
            body=obj,
            name=meta["name"],
            namespace=meta.get("namespace"),
            field_manager=FIELD_MANAGER,
            force_conflicts=True,
        )
