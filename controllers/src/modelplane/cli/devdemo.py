"""`modelplane dev-demo`: the last part of `make demo`, once the local cluster and the platform are up.

It trains the iris model into the example model store, deploys examples/sklearn-iris.yaml, waits for it with
progress, and prints the URL and the answer of a real V1 prediction sent through the ingress, then what to try next.
Re-running it is safe: every object is server-side applied.
"""

from __future__ import annotations

import argparse
import pathlib

from modelplane.cli import errors

HELP = "Deploy the sklearn-iris example, wait for it, and print a real prediction through the ingress."
ROOT = pathlib.Path(__file__).resolve().parents[4]


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the subcommand's arguments."""
    parser.add_argument("--kubeconfig", required=True, help="the cluster's kubeconfig (make kubeconfig prints it)")
    parser.add_argument("--ingress", default="http://127.0.0.1:8088", help="the ingress address (default: %(default)s)")
    parser.add_argument("--namespace", default="default", help="where the example goes (default: %(default)s)")
    parser.add_argument("--kubectl", default=str(ROOT / "bin" / "kubectl"), help="kubectl (default: %(default)s)")
    parser.add_argument(
        "--example",
        type=pathlib.Path,
        default=ROOT / "examples" / "sklearn-iris.yaml",
        help="the InferenceService to deploy (default: %(default)s)",
    )
    parser.add_argument(
        "--store",
        type=pathlib.Path,
        default=ROOT / "examples" / "model-store.yaml",
        help="the model store the example's storageUri points at (default: %(default)s)",
    )


def run(args: argparse.Namespace) -> int:
    """Run the steps; a failed step ends the command with one line saying what failed."""
    from modelplane.devcluster import demoing
    from modelplane.devcluster import errors as dev_errors

    for path, what in ((args.example, "--example"), (args.store, "--store"), (pathlib.Path(args.kubectl), "kubectl")):
        if not path.is_file():
            raise errors.CliError(f"{what} {path} does not exist")
    if not pathlib.Path(args.kubeconfig).is_file():
        raise errors.CliError(f"no kubeconfig at {args.kubeconfig}: start the cluster with `make cluster-up`")
    demo = demoing.Demo(
        kubectl=args.kubectl, kubeconfig=args.kubeconfig, ingress=args.ingress, namespace=args.namespace
    )
    try:
        demo.store_model(args.store)
        name = demo.deploy(args.example)
        url, status, body = demo.predict(name)
    except dev_errors.DevClusterError as exc:
        raise errors.CliError(f"{exc}", exit_status=1) from exc
    host = demoing.host_of(url)
    print()
    print(f"InferenceService {name} is Ready at {url}")
    print(f"V1 prediction for {demoing.IRIS} -> HTTP {status}: {body}")
    print()
    print(demoing.next_steps(name=name, namespace=args.namespace, host=host, ingress=demo.ingress))
    if status != 200:
        raise errors.CliError(f"the prediction answered HTTP {status}, not 200: {body}", exit_status=1)
    return 0
