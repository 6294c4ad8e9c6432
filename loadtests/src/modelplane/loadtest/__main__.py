"""`modelplane-loadtest`: run a bounded load test, turn runs into reports, run the benchmarks.

Subcommands: `run` (one headless run against an InferenceService URL), `report` (Markdown + PNG from one run or
a comparison of several), `batching` and `scaling` (the benchmarks, which start their own model servers on
127.0.0.1). Argument parsing lives here only; every `LoadTestError` becomes one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
from collections.abc import Sequence

from modelplane.loadtest import errors, profiles


def _floats(text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of numbers, e.g. 1,10,100") from exc


def add_profile_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("load shape (levels are req/s with --pacing open, users with closed)")
    group.add_argument("--shape", choices=profiles.SHAPES, default="step")
    group.add_argument("--levels", type=_floats, default=[1.0, 10.0, 50.0], help="step: levels in turn")
    group.add_argument("--step-s", type=float, default=10.0, help="step: seconds per level")
    group.add_argument("--min-arrivals", type=int, default=0, help="step: a level lasts until it offered this many")
    group.add_argument("--base", type=float, default=5.0, help="spike: level before and after")
    group.add_argument("--peak", type=float, default=50.0, help="spike: level during the spike")
    group.add_argument("--before-s", type=float, default=10.0)
    group.add_argument("--spike-s", type=float, default=10.0)
    group.add_argument("--after-s", type=float, default=10.0)
    group.add_argument("--start", type=float, default=1.0, help="ramp: first level")
    group.add_argument("--end", type=float, default=50.0, help="ramp: last level")
    group.add_argument("--duration-s", type=float, default=30.0, help="ramp: seconds")
    group.add_argument("--low", type=float, default=2.0, help="diurnal: night level")
    group.add_argument("--high", type=float, default=40.0, help="diurnal: noon level")
    group.add_argument("--period-s", type=float, default=60.0, help="diurnal: seconds per simulated day")
    group.add_argument("--cycles", type=float, default=1.0, help="diurnal: simulated days")
    group.add_argument("--tick-s", type=float, default=1.0, help="ramp and diurnal: seconds per constant segment")


def profile_from(args: argparse.Namespace) -> profiles.Profile:
    if args.shape == "step":
        return profiles.step(levels=args.levels, step_s=args.step_s, min_arrivals=args.min_arrivals)
    if args.shape == "spike":
        return profiles.spike(
            base=args.base, peak=args.peak, before_s=args.before_s, spike_s=args.spike_s, after_s=args.after_s
        )
    if args.shape == "ramp":
        return profiles.ramp(start=args.start, end=args.end, duration_s=args.duration_s, tick_s=args.tick_s)
    return profiles.diurnal(
        low=args.low, high=args.high, period_s=args.period_s, cycles=args.cycles, tick_s=args.tick_s
    )


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", required=True, help="base URL of the InferenceService, e.g. http://127.0.0.1:8080")
    parser.add_argument("--model", required=True, help="model name in the request path")
    parser.add_argument("--protocol", choices=("v1", "v2"), default="v1")
    payload = parser.add_mutually_exclusive_group(required=True)
    payload.add_argument("--payload", help="request body as inline JSON")
    payload.add_argument("--payload-file", type=pathlib.Path, help="request body as a JSON file")
    parser.add_argument("--rows", type=int, help="grow or cut the payload to this many rows per request")
    parser.add_argument("--host-header", help="Host header for an ingress that routes by host")
    parser.add_argument(
        "--allow-remote", action="store_true", help="allow a target that is not on 127.0.0.1 (off by default)"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="modelplane-loadtest", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="one bounded headless load run writing CSV files")
    add_target_arguments(run)
    add_profile_arguments(run)
    run.add_argument("--pacing", choices=("open", "closed"), default="open")
    run.add_argument("--max-requests", type=int, default=100_000, help="request bound of the run")
    run.add_argument("--max-run-time", type=float, help="time bound in seconds (default: the profile plus 15 s)")
    run.add_argument("--timeout", type=float, default=10.0, help="per-request timeout in seconds")
    run.add_argument("--pool-cap", type=int, default=2000, help="most users an open-loop run may start")
    run.add_argument("--out", type=pathlib.Path, required=True, help="CSV prefix, e.g. .work/loadtest/run1")
    run.add_argument("--label", default="", help="name of the run in reports")
    run.add_argument("--no-metrics", action="store_true", help="do not scrape the runtime's /metrics")
    run.add_argument("--stop-when-saturated", action="store_true")
    run.add_argument("--saturation-ms", type=float, default=1000.0)
    run.add_argument("--kubeconfig", type=pathlib.Path, help="count the InferenceService's ready pods over time")
    run.add_argument("--isvc", help="InferenceService name for --kubeconfig")
    run.add_argument("--namespace", default="default")

    report = commands.add_parser("report", help="Markdown + PNG plots from one run, or a comparison of several")
    report.add_argument("--run", type=pathlib.Path, action="append", required=True, help="a run's CSV prefix")
    report.add_argument("--out", type=pathlib.Path, required=True, help="folder for the report")
    report.add_argument("--name", default="report", help="file name stem of the report and its plots")
    report.add_argument("--title", default="")

    from modelplane.loadtest import benchmarks

    benchmarks.add_arguments(commands)
    return parser


def _run(args: argparse.Namespace) -> int:
    from modelplane.loadtest import payloads, replicas, targets

    target = targets.parse(
        url=args.url,
        model=args.model,
        protocol=args.protocol,
        allow_remote=args.allow_remote,
        host_header=args.host_header,
    )
    payload = payloads.load(text=args.payload, path=args.payload_file, protocol=args.protocol)
    profile = profile_from(args)
    watch = None
    if args.kubeconfig is not None or args.isvc is not None:
        if args.kubeconfig is None or args.isvc is None:
            raise errors.InvalidRun("--kubeconfig and --isvc go together: give both to count pods, or neither")
        watch = replicas.Watch(kubeconfig=args.kubeconfig, isvc=args.isvc, namespace=args.namespace)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    from modelplane.loadtest import running

    running.stop_on_signals()
    outcome = running.run(
        running.RunSettings(
            target=target,
            body=payloads.body(payload, rows=args.rows),
            profile=profile,
            csv_prefix=args.out,
            max_requests=args.max_requests,
            max_run_time_s=args.max_run_time or profile.duration_s + 15.0,
            pacing=args.pacing,
            timeout_s=args.timeout,
            pool_cap=args.pool_cap,
            scrape_metrics=not args.no_metrics,
            stop_when_saturated=args.stop_when_saturated,
            saturation_ms=args.saturation_ms,
            watch=watch,
            label=args.label,
        )
    )
    print(f"stopped by {outcome.stopped} after {outcome.ran_s:.1f} s and {outcome.requests} requests")
    for row in outcome.levels:
        print(
            f"  offered {row.level:g}: {row.throughput_rps:.1f} req/s answered, p50 {row.p50_ms:.1f} ms, "
            f"p99 {row.p99_ms:.1f} ms, {row.failed} failed, {row.late} late"
        )
    print(f"results: {args.out}_levels.csv (make loadtest-report RUN={args.out})")
    return 0


def _report(args: argparse.Namespace) -> int:
    from modelplane.loadtest import reporting

    args.out.mkdir(parents=True, exist_ok=True)
    runs = [reporting.load(prefix) for prefix in args.run]
    if len(runs) == 1:
        path = reporting.single(runs[0], out_dir=args.out, name=args.name, title=args.title)
    else:
        path = reporting.compare(runs, out_dir=args.out, name=args.name, title=args.title)
    print(f"report: {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "report":
            return _report(args)
        return int(args.handler(args))
    except errors.LoadTestError as exc:
        print(f"modelplane-loadtest: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("modelplane-loadtest: interrupted; servers it started are stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
