#!/usr/bin/env python3
"""Generates each chart's values.schema.json and README.md from its documented values.yaml.

Why: values.yaml is the one place a chart's knobs are written down. Every key carries a `# --` comment (the
helm-docs convention); this script turns those comments into the README's values table and infers a JSON schema
from the defaults, with `additionalProperties: false` on every documented mapping so that a misspelt key fails
`helm install` / `helm template` with a message naming it. A `# @schema {...}` comment line before a key merges
JSON into that key's inferred schema (an enum, a minimum, `"freeform": true` for a mapping whose defaults are only
examples, such as `resources`). Empty mappings (`labels: {}`) are free-form by nature.

An upstream chart's values (a subchart's block in an umbrella chart) are marked `"additionalProperties": true`:
its keys pass through. Where such a block holds a mapping of knobs we document, `"additionalProperties": false`
closes that mapping again, and `"upstreamKeys": [...]` names the upstream chart's other keys at that level, which
are accepted unchecked; a misspelt knob there is then an error too.

Usage: hack/chartvalues.py [--check] CHART_DIR...
  without --check: rewrite values.schema.json and README.md of each chart
  with --check:    exit 1 and name the files that are not what the generator would write
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pathlib
import re
import sys
from typing import Any

import yaml

KEY_LINE = re.compile(r"^(?P<indent>\s*)(?P<key>[A-Za-z0-9_.\-/]+|\"[^\"]+\"):(?:\s|$)")
DOC_LINE = re.compile(r"^\s*# -- ?(?P<text>.*)$")
SCHEMA_LINE = re.compile(r"^\s*# @schema (?P<json>\{.*\})\s*$")
CONT_LINE = re.compile(r"^\s*#(?: (?P<text>.*))?$")


class ValuesError(Exception):
    """values.yaml breaks a documentation rule: the message names the key and the fix."""


@dataclasses.dataclass(frozen=True)
class Annotation:
    """What the comments above one key say: its description and any schema overrides."""

    description: str
    schema: dict[str, Any]


def read_annotations(text: str) -> dict[tuple[str, ...], Annotation]:
    """Map each key path in values.yaml to the `# --` description and `# @schema` JSON written above it."""
    annotations: dict[tuple[str, ...], Annotation] = {}
    stack: list[tuple[int, str]] = []
    doc: list[str] | None = None
    schema: dict[str, Any] = {}
    in_list_at: int | None = None
    block_at: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if m := SCHEMA_LINE.match(line):
            schema.update(json.loads(m["json"]))
            continue
        if m := DOC_LINE.match(line):
            doc = [m["text"]]
            continue
        if doc is not None and (m := CONT_LINE.match(line)) and not line.strip().startswith("# @"):
            doc.append(m["text"] or "")
            continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        if block_at is not None and indent > block_at:
            continue
        block_at = None
        if in_list_at is not None and indent > in_list_at:
            continue
        in_list_at = None
        if line.lstrip().startswith("- "):
            in_list_at = indent - 1
            continue
        m = KEY_LINE.match(line)
        if not m:
            continue
        while stack and stack[-1][0] >= indent:
            stack.pop()
        key = m["key"].strip('"')
        stack.append((indent, key))
        path = tuple(k for _, k in stack)
        if doc is not None:
            annotations[path] = Annotation(description=" ".join(t.strip() for t in doc).strip(), schema=schema)
        elif schema:
            raise ValuesError(f"line {number}: `# @schema` above {'.'.join(path)} needs a `# --` description too")
        doc, schema = None, {}
        if line[m.end() :].split("#")[0].strip() in ("|", ">", "|-", ">-", "|+", ">+"):
            block_at = indent
    return annotations


def infer(
    value: Any, path: tuple[str, ...], notes: dict[tuple[str, ...], Annotation], *, open_: bool = False
) -> dict[str, Any]:
    """The JSON schema of one value: inferred from its default, then merged with its `# @schema` override.

    A mapping marked `"additionalProperties": true` (another chart's values, passed through to a subchart) keeps
    its documented keys typed but accepts others, and so do the mappings below it (`open_`).
    """
    note = notes.get(path)
    override = dict(note.schema) if note else {}
    freeform = override.pop("freeform", False)
    upstream = override.pop("upstreamKeys", None)
    if override.get("additionalProperties") is False:
        open_ = False
    open_ = open_ or override.get("additionalProperties") is True
    schema: dict[str, Any]
    if upstream is not None and (override.get("additionalProperties") is not False or not isinstance(value, dict)):
        raise ValuesError(f"{'.'.join(path)}: `upstreamKeys` belongs on a mapping marked additionalProperties false")
    if isinstance(value, dict) and value and not freeform:
        schema = {"type": "object", "additionalProperties": open_, "properties": {}}
        for key, sub in value.items():
            schema["properties"][key] = infer(sub, (*path, key), notes, open_=open_)
        for key in upstream or []:
            if key in value:
                raise ValuesError(f"{'.'.join(path)}: {key} is documented here; remove it from `upstreamKeys`")
            schema["properties"][key] = {"description": "A key of the upstream chart, passed through unchecked."}
    elif isinstance(value, dict):
        schema = {"type": "object"}
    elif isinstance(value, list):
        schema = {"type": "array"}
        if value and all(isinstance(v, str) for v in value):
            schema["items"] = {"type": "string"}
        elif value and all(isinstance(v, dict) for v in value):
            schema["items"] = {"type": "object"}
    elif isinstance(value, bool):
        schema = {"type": "boolean"}
    elif isinstance(value, int):
        schema = {"type": "integer"}
    elif isinstance(value, float):
        schema = {"type": "number"}
    elif isinstance(value, str):
        schema = {"type": "string"}
    else:
        schema = {}
    if note:
        schema["description"] = note.description
    schema.update(override)
    return schema


def undocumented(value: Any, path: tuple[str, ...], notes: dict[tuple[str, ...], Annotation]) -> list[str]:
    """Leaf key paths with no `# --` comment; keys inside a free-form mapping, and section headings, need none."""
    note = notes.get(path)
    if isinstance(value, dict) and value and not (note and note.schema.get("freeform")):
        missing: list[str] = []
        for key, sub in value.items():
            missing += undocumented(sub, (*path, key), notes)
        return missing
    return [] if note else [".".join(path)]


def build_schema(values: dict[str, Any], notes: dict[tuple[str, ...], Annotation]) -> dict[str, Any]:
    """The chart's values.schema.json: strict at the top, plus `global`, which Helm passes to every subchart."""
    schema = infer(values, (), notes)
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    schema["properties"].setdefault("global", {"type": "object", "description": "Helm's values shared by charts."})
    return {"$schema": schema.pop("$schema"), **schema}


def rows(value: Any, path: tuple[str, ...], notes: dict[tuple[str, ...], Annotation]) -> list[tuple[str, ...]]:
    """README table rows (key, type, default, description) for documented leaves and free-form mappings."""
    note = notes.get(path)
    if isinstance(value, dict) and value and not (note and note.schema.get("freeform")):
        out: list[tuple[str, ...]] = []
        for key, sub in value.items():
            out += rows(sub, (*path, key), notes)
        return out
    kind = {dict: "object", list: "list", bool: "bool", int: "int", float: "float", str: "string"}.get(
        type(value), "null"
    )
    default = json.dumps(value, separators=(",", ":"))
    description = note.description if note else ""
    return [(".".join(path), kind, default, description)]


def render_readme(chart_dir: pathlib.Path, values: dict[str, Any], notes: dict[tuple[str, ...], Annotation]) -> str:
    """README.md: the chart's description, how to install it, and the values table."""
    chart = yaml.safe_load((chart_dir / "Chart.yaml").read_text())
    lines = [
        f"# {chart['name']}",
        "",
        "<!-- Generated by hack/chartvalues.py from Chart.yaml and values.yaml (`make chart-docs`); do not edit. -->",
        "",
        f"![Version: {chart['version']}](https://img.shields.io/badge/Version-{chart['version']}-informational)"
        f" ![AppVersion: {chart.get('appVersion', '')}]"
        f"(https://img.shields.io/badge/AppVersion-{chart.get('appVersion', '')}-informational)",
        "",
        " ".join(str(chart.get("description", "")).split()),
        "",
    ]
    deps = chart.get("dependencies") or []
    if deps:
        lines += ["## Dependencies", "", "| Repository | Name | Version | Condition |", "|---|---|---|---|"]
        lines += [f"| {d['repository']} | {d['name']} | {d['version']} | {d.get('condition', '')} |" for d in deps]
        lines += [""]
    lines += ["## Values", "", "| Key | Type | Default | Description |", "|-----|------|---------|-------------|"]
    for key, kind, default, description in rows(values, (), notes):
        cell, text = default.replace("|", "\\|"), description.replace("|", "\\|")
        lines.append(f"| {key} | {kind} | `{cell}` | {text} |")
    return "\n".join(lines) + "\n"


def generate(chart_dir: pathlib.Path) -> dict[pathlib.Path, str]:
    """Everything this script writes for one chart: file path -> exact content."""
    text = (chart_dir / "values.yaml").read_text()
    values = yaml.safe_load(text) or {}
    notes = read_annotations(text)
    missing = undocumented(values, (), notes)
    if missing:
        raise ValuesError(
            f"{chart_dir}/values.yaml: these keys have no `# --` comment: {', '.join(missing)}; document each one"
        )
    schema = build_schema(values, notes)
    return {
        chart_dir / "values.schema.json": json.dumps(schema, indent=2) + "\n",
        chart_dir / "README.md": render_readme(chart_dir, values, notes),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report drift instead of writing")
    parser.add_argument("charts", nargs="+", type=pathlib.Path)
    args = parser.parse_args(argv)
    stale: list[str] = []
    try:
        for chart in args.charts:
            for path, content in generate(chart).items():
                current = path.read_text() if path.exists() else None
                if current == content:
                    continue
                if args.check:
                    stale.append(str(path))
                else:
                    path.write_text(content)
                    print(f"chartvalues: wrote {path}")
    except (ValuesError, OSError, yaml.YAMLError) as err:
        print(f"chartvalues: {err}", file=sys.stderr)
        return 2
    if stale:
        print(f"chartvalues: out of date (run `make chart-docs`): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
