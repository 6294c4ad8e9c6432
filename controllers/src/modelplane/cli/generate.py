"""`modelplane generate`: writes the generated CRDs and RBAC (see `modelplane.api.generated`) under a root folder.

`make generate` runs it on the repository; `make verify` runs it into a temporary folder and compares.
"""

from __future__ import annotations

import argparse
import pathlib

from modelplane.cli import errors

HELP = "Write the CRDs and the controller's RBAC, generated from the API types, into charts/ and overlays/."


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the subcommand's arguments."""
    parser.add_argument(
        "--root",
        type=pathlib.Path,
        default=pathlib.Path.cwd(),
        help="the repository root to write under (default: the current directory)",
    )


def run(args: argparse.Namespace) -> int:
    """Write every generated file, printing each path that changed."""
    from modelplane.api import generated

    root: pathlib.Path = args.root
    if not root.is_dir():
        raise errors.CliError(f"--root {root} is not a directory: pass the repository root")
    for relative, text in generated.files().items():
        path = root / relative
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {relative}")
    return 0
