"""The `modelplane` command: parses arguments and hands over to one module per subcommand.

Each subcommand module has `HELP` (one line), `configure(parser)` (adds its arguments) and `run(args) -> int`
(the exit status); modules import heavy libraries inside `run`, so `modelplane --help` stays fast. Adding a
subcommand is one line in `SUBCOMMANDS`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from modelplane.cli import errors

# Subcommand name -> module implementing it.
SUBCOMMANDS = {
    "generate": "modelplane.cli.generate",
    "get": "modelplane.cli.get",
    "hook": "modelplane.cli.hook",
    "migrate": "modelplane.cli.migrate",
    "sizing": "modelplane.cli.sizing",
    "tune-batching": "modelplane.cli.tunebatching",
    "operator": "modelplane.cli.operator",
    "dev-node": "modelplane.cli.devnode",
    "dev-ingress": "modelplane.cli.devingress",
    "dev-demo": "modelplane.cli.devdemo",
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(prog="modelplane", description="Modelplane's control plane and developer tools.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        sub = subparsers.add_parser(name, help=module.HELP, description=module.HELP)
        module.configure(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the subcommand named on the command line; errors are printed as one line, never as a traceback."""
    args = build_parser().parse_args(argv)
    try:
        status: int = args.run(args)
        return status
    except errors.CliError as error:
        print(f"modelplane {args.command}: {error}", file=sys.stderr)
        return error.exit_status
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
