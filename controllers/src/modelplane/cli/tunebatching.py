"""`modelplane tune-batching`: measure an endpoint for a short while and write the `batcher` it should use.

For each candidate batch size the endpoint gets requests carrying that many rows, one at a time, for a few
seconds at most and a bounded number of requests (the load runs in a `modelplane-loadtest` child process, so
locust's gevent patching stays out of this one). `modelplane.batchtuning` turns the latencies into
`maxBatchSize` / `maxLatency` for the p99 target; the evidence table is printed and the settings are written into
the InferenceService YAML with ruamel.yaml, so comments and layout stay. Only 127.0.0.1 is measured unless
`--allow-remote` is given.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import pathlib
import subprocess
import sys
import tempfile
from typing import Any

from modelplane.cli import errors

HELP = "Measure an endpoint briefly and write the recommended batcher (maxBatchSize, maxLatency) into its YAML."
DEFAULT_SIZES = "1,2,4,8,16,32,64"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the subcommand's arguments."""
    parser.add_argument("--url", required=True, help="base URL of the endpoint, e.g. http://127.0.0.1:8080")
    parser.add_argument("--model", required=True, help="model name in the request path")
    parser.add_argument("--target-p99-ms", type=float, required=True, help="the p99 latency to stay within")
    parser.add_argument("--file", type=pathlib.Path, required=True, help="the InferenceService YAML to update")
    parser.add_argument("--protocol", choices=("v1", "v2"), default="v1")
    payload = parser.add_mutually_exclusive_group(required=True)
    payload.add_argument("--payload", help="one request as inline JSON (its rows are repeated to each size)")
    payload.add_argument("--payload-file", type=pathlib.Path, help="one request as a JSON file")
    parser.add_argument("--rate", type=float, help="expected requests per second (default: maximise throughput)")
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help=f"batch sizes to measure (default {DEFAULT_SIZES})")
    parser.add_argument("--seconds-per-size", type=float, default=3.0, help="time bound of each measurement")
    parser.add_argument("--requests-per-size", type=int, default=200, help="request bound of each measurement")
    parser.add_argument("--component", choices=("predictor", "transformer", "explainer"), default="predictor")
    parser.add_argument("--name", help="which InferenceService, when the file holds several")
    parser.add_argument("--dry-run", action="store_true", help="show the evidence and the change; write nothing")
    parser.add_argument("--allow-remote", action="store_true", help="allow an endpoint that is not on 127.0.0.1")


def run(args: argparse.Namespace) -> int:
    """Sweep, recommend, print the evidence and update the file."""
    from modelplane import batchtuning

    if importlib.util.find_spec("modelplane.loadtest") is None:
        raise errors.CliError(
            "tune-batching needs the load-test tools: pip install -e loadtests (make venv installs them)"
        )
    from modelplane.loadtest import errors as loadtest_errors
    from modelplane.loadtest import payloads, targets

    sizes = _sizes(args.sizes)
    if args.seconds_per_size <= 0 or args.requests_per_size < 1:
        raise errors.CliError("--seconds-per-size must be positive and --requests-per-size at least 1")
    if not args.target_p99_ms > 0 or (args.rate is not None and not args.rate > 0):
        raise errors.CliError("--target-p99-ms and --rate must be positive numbers")
    try:
        targets.parse(url=args.url, model=args.model, protocol=args.protocol, allow_remote=args.allow_remote)
        payloads.load(text=args.payload, path=args.payload_file, protocol=args.protocol)
    except loadtest_errors.LoadTestError as error:
        raise errors.CliError(str(error)) from error
    yaml, documents, index = _read(args.file, name=args.name)
    measurements = [_measure(args, size=size) for size in sizes]
    try:
        chosen = batchtuning.recommend(measurements=measurements, target_p99_ms=args.target_p99_ms, rate_rps=args.rate)
    except batchtuning.TuningError as error:
        _print_table(
            [
                batchtuning.candidate(measurement=m, target_p99_ms=args.target_p99_ms, rate_rps=args.rate)
                for m in measurements
            ]
        )
        raise errors.CliError(str(error)) from error
    _print_table(chosen.candidates)
    if chosen.max_batch_size == 1:
        print(f"recommended: no batcher, one request at a time serves it ({chosen.note}); {args.file} unchanged")
        return 0
    try:
        changes = batchtuning.apply_batcher(
            documents[index],
            component=args.component,
            max_batch_size=chosen.max_batch_size,
            max_latency_ms=chosen.max_latency_ms,
        )
    except batchtuning.TuningError as error:
        raise errors.CliError(str(error)) from error
    print(f"recommended: maxBatchSize {chosen.max_batch_size}, maxLatency {chosen.max_latency_ms} ms ({chosen.note})")
    if not changes:
        print(f"{args.file}: already set as recommended")
        return 0
    for change in changes:
        print(f"  {change}")
    if args.dry_run:
        print(f"{args.file}: not written (--dry-run)")
        return 0
    buffer = io.StringIO()
    yaml.dump_all(documents, buffer)
    args.file.write_text(buffer.getvalue(), encoding="utf-8")
    print(f"{args.file}: updated")
    return 0


def _sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError as error:
        raise errors.CliError(f"--sizes {text!r} must be comma-separated integers, e.g. 1,4,16") from error
    if not sizes or sizes[0] < 1:
        raise errors.CliError(f"--sizes {text!r} must list batch sizes of at least 1")
    return sizes


def _read(path: pathlib.Path, *, name: str | None) -> tuple[Any, list[Any], int]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    try:
        documents = list(yaml.load_all(path.read_text(encoding="utf-8")))
    except OSError as error:
        raise errors.CliError(f"cannot read {path}: {error.strerror}") from error
    except YAMLError as error:
        raise errors.CliError(f"{path}: not valid YAML: {' '.join(str(error).split())}") from error
    found = [
        i
        for i, doc in enumerate(documents)
        if isinstance(doc, dict)
        and doc.get("kind") == "InferenceService"
        and (name is None or (doc.get("metadata") or {}).get("name") == name)
    ]
    if not found:
        which = f" named {name!r}" if name else ""
        raise errors.CliError(f"{path} holds no InferenceService{which}")
    if len(found) > 1:
        raise errors.CliError(f"{path} holds {len(found)} InferenceServices; pick one with --name")
    return yaml, documents, found[0]


def _measure(args: argparse.Namespace, *, size: int) -> Any:
    from modelplane import batchtuning
    from modelplane.loadtest import errors as loadtest_errors
    from modelplane.loadtest import results as loadtest_results

    with tempfile.TemporaryDirectory(prefix="modelplane-tune-") as folder:
        prefix = pathlib.Path(folder) / f"size-{size}"
        command = [
            sys.executable, "-m", "modelplane.loadtest", "run",
            "--url", args.url, "--model", args.model, "--protocol", args.protocol, "--rows", str(size),
            "--pacing", "closed", "--shape", "step", "--levels", "1", "--step-s", f"{args.seconds_per_size:g}",
            "--max-requests", str(args.requests_per_size), "--max-run-time", f"{args.seconds_per_size + 10:g}",
            "--no-metrics", "--out", str(prefix),
        ]  # fmt: skip
        command += (
            ["--payload", args.payload] if args.payload is not None else ["--payload-file", str(args.payload_file)]
        )
        if args.allow_remote:
            command.append("--allow-remote")
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise errors.CliError(f"measuring batch size {size} failed: {last}")
        try:
            rows = loadtest_results.read(pathlib.Path(f"{prefix}_levels.csv"))
        except loadtest_errors.LoadTestError as error:
            raise errors.CliError(f"measuring batch size {size} left no results: {error}") from error
    if not rows or rows[0].sent == 0:
        raise errors.CliError(f"batch size {size}: the endpoint answered no request in {args.seconds_per_size:g} s")
    row = rows[0]
    print(f"batch size {size}: {row.sent} requests, p50 {row.p50_ms:.1f} ms, p99 {row.p99_ms:.1f} ms", flush=True)
    return batchtuning.Measurement(
        batch_size=size, p50_ms=row.p50_ms, p99_ms=row.p99_ms, requests=row.sent, failed=row.failed
    )


def _print_table(candidates: Any) -> None:
    print("| batch size | p50 ms | p99 ms | capacity req/s | maxLatency ms | predicted p99 ms | verdict |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for c in candidates:
        print(
            f"| {c.batch_size} | {c.p50_ms:.1f} | {c.p99_ms:.1f} | {c.capacity_rps:.0f} | {c.max_latency_ms} | "
            f"{c.predicted_p99_ms:.1f} | {c.why} |"
        )
