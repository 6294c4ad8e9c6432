"""`modelplane dev-node run|logs`: the local process node, for developing Modelplane without Docker.

`run` registers a node with the local control plane and runs pods of Modelplane's images scheduled onto it as
local processes (see docs/local-node.md); `logs POD` prints a container's log, which `kubectl logs` cannot reach
because the process node serves no kubelet API.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

from modelplane.cli import errors
from modelplane.devcluster import addresses

HELP = "Run a local process node for Modelplane's images, or read its pods' logs."
ROOT = pathlib.Path(__file__).resolve().parents[4]
DEFAULT_STATE = ROOT / ".cluster" / "local-node"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the subcommand's arguments."""
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    run_ = actions.add_parser("run", help="register the node and run its pods until interrupted")
    run_.add_argument("--kubeconfig", help="the cluster's kubeconfig (default: $KUBECONFIG or ~/.kube/config)")
    run_.add_argument("--node-name", default="local-process-node", help="the Node's name (default: %(default)s)")
    run_.add_argument(
        "--state-dir", type=pathlib.Path, default=DEFAULT_STATE, help="volumes, logs and pids (default: %(default)s)"
    )
    run_.add_argument("--pod-cidr", default=addresses.DEFAULT_POOL, help="pool of pod IPs (default: %(default)s)")
    run_.add_argument(
        "--webhook-port",
        type=int,
        default=19443,
        help="HTTPS port of the admission webhook on 127.0.0.1 (default: %(default)s)",
    )
    run_.add_argument(
        "--image",
        action="append",
        default=[],
        metavar="PREFIX=ENTRYPOINT",
        help="run images starting with PREFIX, with console script ENTRYPOINT (repeatable; replaces the defaults "
        "modelplane/runtime:=modelplane-runtime and modelplane/controller:=modelplane)",
    )
    run_.add_argument(
        "--venv-bin",
        type=pathlib.Path,
        default=pathlib.Path(sys.prefix) / "bin",
        help="where console scripts live (default: %(default)s)",
    )
    run_.add_argument("--verbose", action="store_true", help="log every step")
    logs = actions.add_parser("logs", help="print a container's log from the process node")
    logs.add_argument("pod", metavar="POD", help="the pod's name")
    logs.add_argument("-n", "--namespace", default="default", help="the pod's namespace (default: %(default)s)")
    logs.add_argument("-c", "--container", help="the container (needed when the pod has several)")
    logs.add_argument("-p", "--previous", action="store_true", help="the previous run's log (after a restart)")
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing as the log grows")
    logs.add_argument(
        "--state-dir", type=pathlib.Path, default=DEFAULT_STATE, help="the node's state folder (default: %(default)s)"
    )


def run(args: argparse.Namespace) -> int:
    """Dispatch to `run` or `logs`."""
    if args.action == "logs":
        return _logs(args)
    return _run(args)


def _logs(args: argparse.Namespace) -> int:
    from modelplane.devcluster import errors as dev_errors
    from modelplane.devcluster import logfiles

    try:
        path = logfiles.find(
            args.state_dir, namespace=args.namespace, name=args.pod, container=args.container, previous=args.previous
        )
    except dev_errors.DevClusterError as exc:
        raise errors.CliError(str(exc)) from exc
    out = sys.stdout.buffer
    with path.open("rb") as log:
        while True:
            chunk = log.read(65536)
            if chunk:
                out.write(chunk)
                out.flush()
                continue
            if not args.follow:
                return 0
            time.sleep(0.5)


def _run(args: argparse.Namespace) -> int:
    import logging
    import os
    import shutil
    import signal

    from kubernetes.config import ConfigException
    from modelplane.devcluster import errors as dev_errors
    from modelplane.devcluster import images, kubeio, nodeagent, podplans

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    if os.geteuid() != 0:
        raise errors.CliError(
            "the process node bind-mounts volumes in a private mount namespace, which needs root; run it as root"
        )
    for tool in ("unshare", "nsenter", "mount", "ip"):
        if shutil.which(tool) is None:
            raise errors.CliError(f"{tool} is missing; install util-linux (apt-get install -y util-linux mount)")
    try:
        pool = addresses.parse_pool(args.pod_cidr)
        rules = tuple(images.parse_rule(text) for text in args.image) or images.DEFAULT_RULES
        api = kubeio.connect(args.kubeconfig)
    except dev_errors.DevClusterError as exc:
        raise errors.CliError(str(exc)) from exc
    except ConfigException as exc:
        raise errors.CliError(
            f"cannot read the kubeconfig: {exc}; pass --kubeconfig PATH (make kubeconfig prints it)"
        ) from exc
    if not (args.venv_bin / "modelplane").exists():
        raise errors.CliError(f"{args.venv_bin} holds no Modelplane console scripts; pass --venv-bin .venv/bin")
    host, port = kubeio.server(api)
    state = args.state_dir.resolve()
    settings = nodeagent.AgentSettings(
        node_name=args.node_name,
        root=state,
        pool=pool,
        webhook_port=args.webhook_port,
        node=podplans.NodeSettings(
            venv_bin=str(args.venv_bin.resolve()),
            api_host=host,
            api_port=port,
            claims_dir=str(state / "claims"),
            rules=rules,
            program_paths=(str(args.venv_bin.resolve()), str((args.venv_bin / "python").resolve().parent)),
        ),
    )
    agent = nodeagent.NodeAgent(api, settings)
    signal.signal(signal.SIGTERM, lambda *_: agent.stop())
    signal.signal(signal.SIGINT, lambda *_: agent.stop())
    try:
        agent.run()
    except kubeio.UNREACHABLE as exc:
        raise errors.CliError(
            f"cannot reach the API server at {host}:{port} ({exc}); start it with `make cluster-up`", exit_status=1
        ) from exc
    except dev_errors.DevClusterError as exc:
        raise errors.CliError(str(exc), exit_status=1) from exc
    return 0
