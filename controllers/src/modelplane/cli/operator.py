"""`modelplane operator`: run the controller (reconcilers and validating webhook) against the current cluster.

In a cluster the chart passes `--webhook-addr 0.0.0.0 --cert-dir /certs` and a ValidatingWebhookConfiguration
points at the Service; locally, `make run` passes `--register-webhook` so the operator registers a configuration
pointing at https://127.0.0.1:9443 with a self-signed certificate. Every replica serves the webhook; the one holding
the Lease reconciles.
"""

from __future__ import annotations

import argparse
import logging
import pathlib

HELP = "Run the InferenceService controller and its validating webhook in the foreground."


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the operator's options."""
    parser.add_argument("--namespace", help="watch only this namespace (default: every namespace)")
    parser.add_argument(
        "--controller-namespace",
        default="modelplane-system",
        help="where the inferenceservice-config ConfigMap lives (default: %(default)s)",
    )
    parser.add_argument("--webhook-addr", default="127.0.0.1", help="address the webhook binds (default: %(default)s)")
    parser.add_argument(
        "--webhook-port", type=int, default=9443, help="HTTPS port of the webhook (default: %(default)s)"
    )
    parser.add_argument(
        "--webhook-host", help="host name the API server uses to call the webhook (default: the address)"
    )
    parser.add_argument(
        "--cert-dir",
        type=pathlib.Path,
        help="directory holding tls.crt and tls.key (default: a self-signed certificate for 127.0.0.1)",
    )
    parser.add_argument(
        "--register-webhook",
        action="store_true",
        help="create the ValidatingWebhookConfiguration pointing at this process (for local runs)",
    )
    parser.add_argument(
        "--webhook-configuration",
        default="modelplane.serving.kserve.io",
        help="name of the ValidatingWebhookConfiguration --register-webhook manages (default: %(default)s)",
    )
    parser.add_argument(
        "--health-addr", default="127.0.0.1", help="address of the /healthz endpoint (default: %(default)s)"
    )
    parser.add_argument(
        "--health-port", type=int, default=8081, help="port of the /healthz endpoint (default: %(default)s)"
    )
    parser.add_argument(
        "--metrics-addr", default="127.0.0.1", help="address of the Prometheus /metrics endpoint (default: %(default)s)"
    )
    parser.add_argument(
        "--metrics-port",
        type=_port,
        default=0,
        help="port of the Prometheus /metrics endpoint; 0, the default, serves none (the chart uses 8080)",
    )
    parser.add_argument("--workers", type=int, default=16, help="threads running reconciles (default: %(default)s)")
    parser.add_argument(
        "--no-leader-election",
        action="store_true",
        help="reconcile without holding the Lease (only for a single replica: several would all reconcile)",
    )
    parser.add_argument(
        "--lease-name",
        default="modelplane-controller",
        help="the coordination.k8s.io Lease, in the controller namespace, that picks the one replica which "
        "reconciles (default: %(default)s)",
    )
    parser.add_argument(
        "--resync-seconds",
        type=_positive,
        default=600.0,
        help="reconcile every object this often even without events, to repair what no event reported "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--max-retry-seconds",
        type=_positive,
        default=300.0,
        help="longest wait between tries of a failing reconcile; waits double from 1 s up to it (default: %(default)s)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every handler run")


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} must be more than 0 seconds")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port number (0-65535)")
    return value


def run(args: argparse.Namespace) -> int:
    """Start the operator and block until it is interrupted."""
    from modelplane.cli import errors
    from modelplane.operator import running

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if not args.verbose:
        logging.getLogger("kopf").setLevel(logging.WARNING)
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    if args.cert_dir is not None and not (args.cert_dir / "tls.crt").is_file():
        raise errors.CliError(
            f"--cert-dir {args.cert_dir}: no tls.crt there; mount the webhook's TLS Secret or omit the flag"
        )
    return running.run(
        running.Options(
            namespace=args.namespace,
            controller_namespace=args.controller_namespace,
            webhook_addr=args.webhook_addr,
            webhook_port=args.webhook_port,
            webhook_host=args.webhook_host,
            cert_dir=args.cert_dir,
            register_webhook=args.register_webhook,
            webhook_configuration=args.webhook_configuration,
            health_addr=args.health_addr,
            health_port=args.health_port,
            metrics_addr=args.metrics_addr,
            metrics_port=args.metrics_port,
            workers=args.workers,
            leader_election=not args.no_leader_election,
            lease_name=args.lease_name,
            resync_seconds=args.resync_seconds,
            retry_max_seconds=args.max_retry_seconds,
        )
    )
