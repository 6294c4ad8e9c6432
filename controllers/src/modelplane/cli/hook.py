"""`modelplane hook STEP`: the Helm hook jobs of the charts, run by the controller image.

Steps: `check-crds` and `apply-crds` (pre-upgrade, modelplane-crds chart), `certs` (pre-install/upgrade, the
self-signed webhook certificate when cert-manager is off), `webhook-ready` (post-install/upgrade: inject the CA
when self-signed, then wait until one of the configuration's webhooks denies a probe only it can judge),
`test-isvc` (`helm test`), `apply-manifests` (server-side apply of objects whose CRD arrives in the same
release), and `apply-runtimes` / `delete-runtimes` (post-install/upgrade and pre-delete: the ClusterServingRuntimes
of a release that brings their CRD itself, `runtimes.installWith: hook`). Each prints what it did, one line per
step, and ends with exit status 0, or 1 with a message saying what to fix.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from modelplane.cli import errors

HELP = "Run one of the charts' Helm hook jobs (CRD upgrade, webhook certificate and readiness, runtimes, helm test)."


def configure(parser: argparse.ArgumentParser) -> None:
    """Add one sub-parser per hook step."""
    parser.add_argument("--kubeconfig", help="kubeconfig to use outside a pod (default: in-cluster, then $KUBECONFIG)")
    steps = parser.add_subparsers(dest="step", required=True, metavar="STEP")

    for name, text in (
        ("check-crds", "refuse an upgrade that drops or downgrades a stored CRD version"),
        ("apply-crds", "server-side apply the CRDs and wait until they are Established"),
    ):
        step = steps.add_parser(name, help=text, description=text)
        step.add_argument("--dir", type=pathlib.Path, required=True, help="folder holding the new CRD *.yaml files")
        step.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for Established (apply)")

    certs = steps.add_parser("certs", help="make or renew the self-signed webhook certificate Secret")
    certs.add_argument("--namespace", required=True)
    certs.add_argument("--secret", required=True, help="Secret to hold ca.crt, tls.crt and tls.key")
    certs.add_argument("--service", required=True, help="the webhook Service the certificate names")
    certs.add_argument("--validity-days", type=int, default=3650)

    ready = steps.add_parser(
        "webhook-ready", help="wait until the configuration's webhook itself answers the API server"
    )
    ready.add_argument("--namespace", required=True, help="namespace to dry-run the probe InferenceService in")
    ready.add_argument("--webhook-configuration", required=True, help="the ValidatingWebhookConfiguration")
    ready.add_argument("--ca-from-secret", help="inject ca.crt of this Secret (namespace --namespace) first")
    ready.add_argument("--timeout", type=float, default=300.0)
    ready.add_argument("--interval", type=float, default=2.0)

    test = steps.add_parser("test-isvc", help="create a tiny InferenceService, wait until Ready, delete it")
    test.add_argument("--namespace", required=True)
    test.add_argument("--name", required=True)
    test.add_argument("--model-format", default="sklearn")
    test.add_argument("--storage-uri", required=True)
    test.add_argument("--timeout", type=float, default=600.0)

    manifests = steps.add_parser("apply-manifests", help="server-side apply every object in a folder's *.yaml")
    manifests.add_argument("--dir", type=pathlib.Path, required=True)
    manifests.add_argument("--wait-for-crd", type=float, default=120.0, help="seconds to wait for each kind")

    selector_help = "labels (key=value,...) every runtime of the release carries; the hook owns only those it applied"
    runtimes = steps.add_parser(
        "apply-runtimes",
        help="wait for the ClusterServingRuntime CRD, apply the rendered runtimes, prune the ones no longer rendered",
    )
    runtimes.add_argument("--dir", type=pathlib.Path, required=True, help="folder holding the runtimes' *.yaml")
    runtimes.add_argument("--selector", required=True, help=selector_help)
    runtimes.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the CRD and deletions")
    removal = steps.add_parser("delete-runtimes", help="delete the ClusterServingRuntimes apply-runtimes applied")
    removal.add_argument("--selector", required=True, help=selector_help)
    removal.add_argument("--timeout", type=float, default=60.0, help="seconds to wait until they are gone")


def _log(line: str) -> None:
    print(line, flush=True)


def run(args: argparse.Namespace) -> int:
    """Run the chosen step; a HookError becomes a one-line CliError with exit status 1."""
    from kubernetes.client.exceptions import ApiException
    from modelplane.hooks import certifying, connecting, runtimesets, syncing, upgrading, verifying, waiting
    from modelplane.hooks import errors as hook_errors

    try:
        cluster = connecting.Cluster.connect(kubeconfig=args.kubeconfig)
        if args.step == "check-crds":
            problems = upgrading.check(cluster, directory=args.dir)
            if problems:
                for problem in problems:
                    print(f"refused: {problem}", file=sys.stderr)
                raise errors.CliError(f"{len(problems)} CRD upgrade problem(s); see UPGRADE.md", exit_status=1)
            _log("the new CRDs keep every stored version: safe to apply")
        elif args.step == "apply-crds":
            applied = upgrading.apply_crds(cluster, directory=args.dir, timeout=args.timeout, log=_log)
            _log(f"{len(applied)} CRD(s) applied and Established")
        elif args.step == "certs":
            certifying.ensure_secret(
                cluster,
                namespace=args.namespace,
                name=args.secret,
                service=args.service,
                days=args.validity_days,
                log=_log,
            )
        elif args.step == "webhook-ready":
            if args.ca_from_secret:
                data = certifying.read_secret(cluster, namespace=args.namespace, name=args.ca_from_secret)
                if not data or not data.get("ca.crt"):
                    raise hook_errors.HookError(
                        f"Secret {args.namespace}/{args.ca_from_secret} has no ca.crt; did the `certs` hook run?"
                    )
                count = certifying.inject_ca(cluster, configuration=args.webhook_configuration, ca_pem=data["ca.crt"])
                _log(f"injected the CA into {count} webhook(s) of {args.webhook_configuration}")
            waiting.wait(
                cluster,
                namespace=args.namespace,
                configuration=args.webhook_configuration,
                timeout=args.timeout,
                interval=args.interval,
                log=_log,
            )
        elif args.step == "test-isvc":
            verifying.run(
                cluster,
                namespace=args.namespace,
                name=args.name,
                model_format=args.model_format,
                storage_uri=args.storage_uri,
                timeout=args.timeout,
                log=_log,
            )
        elif args.step == "apply-runtimes":
            selector = runtimesets.parse_selector(args.selector)
            applied, pruned = syncing.apply(
                cluster, directory=args.dir, selector=selector, timeout=args.timeout, log=_log
            )
            _log(f"{len(applied)} ClusterServingRuntime(s) applied, {len(pruned)} pruned")
        elif args.step == "delete-runtimes":
            selector = runtimesets.parse_selector(args.selector)
            deleted = syncing.delete(cluster, selector=selector, timeout=args.timeout, log=_log)
            _log(f"{len(deleted)} ClusterServingRuntime(s) deleted")
        else:
            count = upgrading.apply_manifests(cluster, directory=args.dir, wait_for_crd=args.wait_for_crd, log=_log)
            _log(f"{count} object(s) applied")
    except hook_errors.HookError as exc:
        raise errors.CliError(str(exc), exit_status=1) from exc
    except ApiException as exc:
        raise errors.CliError(
            f"the API server refused: {exc.status} {exc.reason}: {exc.body}; check the hook's RBAC", exit_status=1
        ) from exc
    return 0
