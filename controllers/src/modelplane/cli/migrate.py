"""`modelplane migrate FILE|DIR`: rewrites KFServing-era InferenceService manifests into `serving.kserve.io/v1beta1`.

Round-trips YAML with ruamel.yaml so comments, key order and quoting stay as they were; other documents in the
same file are left alone. Every migrated InferenceService is checked with the admission rules, so what comes out
is accepted by the API server. `--check` only reports (exit 1 when something needs migrating), for CI.
"""

from __future__ import annotations

import argparse
import io
import pathlib
import re
import sys
from typing import Any

from modelplane.cli import errors

HELP = "Rewrite serving.kubeflow.org (v1alpha2, v1beta1) InferenceServices as serving.kserve.io/v1beta1."
SUFFIXES = (".yaml", ".yml")


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the subcommand's arguments."""
    parser.add_argument(
        "path", type=pathlib.Path, metavar="FILE|DIR", help="a manifest, or a folder searched for *.yaml/*.yml"
    )
    parser.add_argument(
        "--default-only",
        action="store_true",
        help="drop a v1alpha2 canary and keep the default spec (step 1 of moving a live canary, see docs/api.md)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 listing the files that need migrating"
    )
    mode.add_argument("--in-place", action="store_true", help="rewrite the files where they are")
    mode.add_argument(
        "-o",
        "--output",
        type=pathlib.Path,
        metavar="OUT",
        help="write to OUT (a file for FILE, a folder mirroring DIR); default: print a single FILE's result",
    )


def run(args: argparse.Namespace) -> int:
    """Migrate, check or print, as the flags say."""
    source: pathlib.Path = args.path
    files = _manifests(source)
    if source.is_dir() and not (args.check or args.in_place or args.output):
        raise errors.CliError(f"{source} is a folder: add --in-place, -o OUT_DIR or --check")
    failures: list[str] = []
    pending: list[pathlib.Path] = []
    for path in files:
        try:
            result = migrate_text(path.read_text(encoding="utf-8"), name=str(path), default_only=args.default_only)
        except errors.CliError as error:
            failures.append(str(error))
            continue
        if result is None:
            continue
        text, notes = result
        pending.append(path)
        for note in notes:
            print(f"{path}: note: {note}", file=sys.stderr)
        if args.check:
            continue
        target = _target(path, source=source, args=args)
        if target is None:
            sys.stdout.write(text)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            print(f"migrated {path} -> {target}", file=sys.stderr)
    if failures:
        raise errors.CliError("cannot migrate:\n  " + "\n  ".join(failures), exit_status=2)
    if args.check:
        for path in pending:
            print(f"{path}: needs migration")
        return 1 if pending else 0
    if not pending:
        print(
            f"nothing to migrate: every InferenceService under {source} is already serving.kserve.io", file=sys.stderr
        )
    return 0


def _manifests(source: pathlib.Path) -> list[pathlib.Path]:
    if source.is_file():
        return [source]
    if source.is_dir():
        found = sorted(path for path in source.rglob("*") if path.is_file() and path.suffix in SUFFIXES)
        if not found:
            raise errors.CliError(f"{source} holds no *.yaml or *.yml files")
        return found
    raise errors.CliError(f"{source} does not exist: give a manifest file or a folder of manifests")


def _target(path: pathlib.Path, *, source: pathlib.Path, args: argparse.Namespace) -> pathlib.Path | None:
    if args.in_place:
        return path
    output: pathlib.Path | None = args.output
    if output is None:
        return None
    return output / path.relative_to(source) if source.is_dir() else output


def migrate_text(text: str, *, name: str, default_only: bool = False) -> tuple[str, list[str]] | None:
    """The migrated text of one file and notes, or None when nothing in it needs migrating.

    Raises CliError when the file is not YAML, holds no InferenceService, cannot be migrated, or migrates into
    an InferenceService the admission rules reject.
    """
    from modelplane.api import migration, validation
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    sequence, offset = _sequence_indent(text)
    yaml.indent(mapping=2, sequence=sequence, offset=offset)
    try:
        documents = list(yaml.load_all(text))
    except YAMLError as error:
        raise errors.CliError(f"{name}: not valid YAML: {_one_line(str(error))}") from error
    kinds = [doc.get("kind") if isinstance(doc, dict) else type(doc).__name__ for doc in documents if doc is not None]
    if "InferenceService" not in kinds:
        found = ", ".join(str(kind) for kind in kinds) or "nothing"
        raise errors.CliError(f"{name}: holds no InferenceService (found: {found}); give a file with one")
    notes: list[str] = []
    changed = False
    for index, document in enumerate(documents):
        if not migration.needs_migration(document):
            continue
        label = f"{name} (document {index + 1})" if len(documents) > 1 else name
        try:
            notes += migration.migrate_inference_service(document, default_only=default_only)
        except migration.MigrationError as error:
            raise errors.CliError(f"{label}: {error}") from error
        violations = validation.validate_inference_service(_plain(document), old=None)
        if violations:
            listed = "; ".join(str(violation) for violation in violations)
            raise errors.CliError(f"{label}: the migrated InferenceService would be rejected: {listed}")
        changed = True
    if not changed:
        return None
    out = io.StringIO()
    yaml.dump_all(documents, out)
    return out.getvalue(), notes


def _plain(value: Any) -> Any:
    """A ruamel round-trip tree as plain dicts and lists, as the API server would store it."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _sequence_indent(text: str) -> tuple[int, int]:
    """(sequence, offset) for ruamel: keep dashes level with their key if the file does, else indent them by 2."""
    lines = text.splitlines()
    for number, line in enumerate(lines):
        match = re.match(r"^(\s*)- ", line)
        if match and number > 0:
            previous = next((p for p in reversed(lines[:number]) if p.strip() and not p.strip().startswith("#")), "")
            if previous.rstrip().endswith(":"):
                key_indent = len(previous) - len(previous.lstrip())
                return (2, 0) if len(match.group(1)) == key_indent else (4, 2)
    return (4, 2)


def _one_line(text: str) -> str:
    return " ".join(text.split())
