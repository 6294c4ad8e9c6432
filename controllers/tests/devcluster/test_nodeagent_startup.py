"""The process node's start-up, before it talks to the API server: a webhook port another process holds (most
often a second process node on the machine) is a setup error that says so, not an unreachable API server."""

from __future__ import annotations

import pathlib
import socket

import pytest
from kubernetes import client
from modelplane.devcluster import addresses, errors, nodeagent, podplans


def test_a_taken_webhook_port_is_named(tmp_path: pathlib.Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        settings = nodeagent.AgentSettings(
            node_name="n",
            root=tmp_path / "node",
            pool=addresses.parse_pool(addresses.DEFAULT_POOL),
            webhook_port=port,
            node=podplans.NodeSettings(venv_bin="/v", api_host="127.0.0.1", api_port=1, claims_dir=str(tmp_path)),
        )
        # An API client pointing nowhere: the agent must fail before it makes any request.
        api = client.ApiClient(client.Configuration(host="http://127.0.0.1:1"))
        with pytest.raises(errors.SetupError, match=f"cannot serve the pod webhook on 127.0.0.1:{port}.*make down"):
            nodeagent.NodeAgent(api, settings).run()
