"""`modelplane dev-ingress run|config`: a local ingress (nginx on 127.0.0.1) for the local control plane.

`run` keeps nginx's configuration in step with the cluster's Ingress, HTTPRoute and VirtualService objects,
sending traffic straight to the pods behind each Service (there is no kube-proxy locally); `config` prints the
configuration it would use now. Requests pick the route by their Host header:
`curl -H 'Host: iris.default.example.com' http://127.0.0.1:8088/v1/models/iris:predict -d @body.json`.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil

from modelplane.cli import errors

HELP = "Run a local ingress (nginx) that routes the cluster's Ingress, HTTPRoute and VirtualService objects."
ROOT = pathlib.Path(__file__).resolve().parents[4]
DEFAULT_STATE = ROOT / ".cluster" / "ingress"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the subcommand's arguments."""
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, text in (("run", "serve until interrupted"), ("config", "print the nginx configuration for now")):
        sub = actions.add_parser(name, help=text)
        sub.add_argument("--kubeconfig", help="the cluster's kubeconfig (default: $KUBECONFIG or ~/.kube/config)")
        sub.add_argument("--port", type=int, default=8088, help="port on 127.0.0.1 (default: %(default)s)")
        sub.add_argument("--ingress-class", help="only Ingresses of this class (default: all)")
        sub.add_argument(
            "--state-dir", type=pathlib.Path, default=DEFAULT_STATE, help="config, logs (default: %(default)s)"
        )
        sub.add_argument("--nginx", default=str(ROOT / "bin" / "nginx"), help="the nginx binary (default: %(default)s)")
        sub.add_argument("--verbose", action="store_true", help="log every step")


def run(args: argparse.Namespace) -> int:
    """Build the ingress, then print its configuration or serve."""
    import logging
    import signal

    from kubernetes.config import ConfigException
    from modelplane.devcluster import errors as dev_errors
    from modelplane.devcluster import kubeio, nginxconf, proxying

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    nginx = args.nginx if os.path.sep in args.nginx else shutil.which(args.nginx)
    if not nginx or not os.access(nginx, os.X_OK):
        raise errors.CliError(f"nginx not found at {args.nginx}; run hack/install-nginx.sh (or make ingress-up)")
    if not 0 < args.port < 65536:
        raise errors.CliError(f"--port {args.port} is not a TCP port; use 1..65535, such as 8088")
    try:
        api = kubeio.connect(args.kubeconfig)
    except ConfigException as exc:
        raise errors.CliError(
            f"cannot read the kubeconfig: {exc}; pass --kubeconfig PATH (make kubeconfig prints it)"
        ) from exc
    state = args.state_dir.resolve()
    listen = nginxconf.Listen(
        host="127.0.0.1", port=args.port, state_dir=str(state), user="nobody nogroup" if os.geteuid() == 0 else ""
    )
    ingress = proxying.LocalIngress(api, nginx=nginx, listen=listen, ingress_class=args.ingress_class)
    try:
        if args.action == "config":
            print(ingress.render(), end="")
            return 0
        signal.signal(signal.SIGTERM, lambda *_: ingress.stop())
        signal.signal(signal.SIGINT, lambda *_: ingress.stop())
        ingress.run()
    except dev_errors.DevClusterError as exc:
        raise errors.CliError(str(exc), exit_status=1) from exc
    except kubeio.UNREACHABLE as exc:
        raise errors.CliError(
            f"the local ingress cannot reach the API server ({exc}); start it with `make cluster-up`", exit_status=1
        ) from exc
    return 0
