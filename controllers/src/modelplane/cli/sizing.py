"""`modelplane sizing --isvcs N --rps R`: recommends gateway, istiod and activator settings and prints the
charts/platform values snippet that applies them (the figures and their sources: docs/operations.md)."""

from __future__ import annotations

import argparse

from modelplane.cli import errors

HELP = "Recommend Istio gateway/istiod and Knative activator sizing for N InferenceServices at R requests/s."


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the subcommand's arguments."""
    parser.add_argument("--isvcs", type=int, required=True, help="number of InferenceServices")
    parser.add_argument("--rps", type=float, required=True, help="peak requests per second through the gateway")
    parser.add_argument(
        "--components",
        type=int,
        default=1,
        help="Knative Services per InferenceService (1-3: + transformer, explainer)",
    )
    parser.add_argument("--min-replicas", type=int, default=1, help="typical minReplicas (0 = scale to zero)")
    parser.add_argument("--no-ha", dest="ha", action="store_false", help="size for a dev cluster (1-replica floors)")
    parser.add_argument(
        "-o", "--output", choices=("text", "yaml"), default="text", help="text: report + snippet; yaml: snippet only"
    )


def run(args: argparse.Namespace) -> int:
    """Print the recommendation."""
    import yaml
    from modelplane import sizing

    try:
        rec = sizing.recommend(
            isvcs=args.isvcs, rps=args.rps, components=args.components, min_replicas=args.min_replicas, ha=args.ha
        )
    except sizing.SizingError as exc:
        raise errors.CliError(str(exc)) from exc
    snippet = yaml.safe_dump(sizing.values_snippet(rec), sort_keys=False)
    if args.output == "yaml":
        print(snippet, end="")
    else:
        print(sizing.report(rec))
        print("# charts/platform values (helm upgrade ... -f sizing.yaml):")
        print(snippet, end="")
    return 0
