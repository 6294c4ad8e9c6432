"""The batching and scaling benchmarks: start servers on 127.0.0.1, sweep offered load, write a compared report.

`batching`: one model, several batcher configurations, each swept open-loop from 1 req/s up to saturation (a
configuration drops out at its first saturated level). Levels are interleaved: every configuration runs a level
before any runs the next, so a change in the machine's background load hits them alike. Configurations: `off`
(Modelplane's runtime without a batcher), `adaptive:B:L` (its adaptive batcher, max batch size B, max latency L
ms), `fixed:B:L` (MLServer 1.7.1's batcher, which waits for B requests or L ms: the behaviour of KServe's batcher
sidecar) and `mlserver-off` (MLServer without batching, the baseline for the fixed ones). All use the V2
protocol, which both servers speak.

`scaling`: 1, 2, 4... replicas of the runtime behind nginx (round robin), swept the same way; with `--kubeconfig`,
InferenceServices of 1, 2, 4... fixed replicas on that cluster, loaded through its ingress (`deploying`).
The Knative autoscaler's part (time to scale on a step or spike, cold start from zero) needs a cluster running
Knative: point `modelplane-loadtest run --shape step|spike --kubeconfig ... --isvc ...` at it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pathlib

from modelplane.loadtest import errors, metrics, models, payloads, profiles, results, servers, targets

DEFAULT_PEERS = pathlib.Path(".work/peers/mlserver")
DEFAULT_LEVELS = "1,5,20,50,100,200,400,800,1600"
DEFAULT_CONFIGS = "off,adaptive:32:50,fixed:8:5,fixed:32:20,fixed:32:100,mlserver-off"


@dataclasses.dataclass(frozen=True, slots=True)
class Config:
    """One batcher configuration of the batching benchmark."""

    kind: str
    max_batch_size: int = 1
    max_latency_ms: float = 0.0

    @property
    def label(self) -> str:
        if self.kind in ("off", "mlserver-off"):
            return self.kind
        return f"{self.kind} {self.max_batch_size} x {self.max_latency_ms:g} ms"

    @property
    def slug(self) -> str:
        return self.label.replace(" x ", "-").replace(" ms", "ms").replace(" ", "-")


def parse_configs(text: str) -> list[Config]:
    """`off,adaptive:32:50,fixed:8:5,mlserver-off` into configurations; raises with the bad item named."""
    out = []
    for item in (part.strip() for part in text.split(",")):
        if item in ("off", "mlserver-off"):
            out.append(Config(kind=item))
            continue
        kind, _, rest = item.partition(":")
        size, _, latency = rest.partition(":")
        try:
            config = Config(kind=kind, max_batch_size=int(size), max_latency_ms=float(latency))
        except ValueError:
            config = None
        if (
            kind not in ("adaptive", "fixed")
            or config is None
            or config.max_batch_size < 1
            or config.max_latency_ms <= 0
        ):
            raise errors.InvalidRun(
                f"batcher configuration {item!r} must be off, mlserver-off, adaptive:SIZE:MS or fixed:SIZE:MS "
                "(e.g. fixed:32:20)"
            )
        out.append(config)
    if not out:
        raise errors.InvalidRun("give at least one batcher configuration")
    return out


def parse_replicas(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise errors.InvalidRun(f"replica counts {text!r} must be integers, e.g. 1,2,4") from exc
    if not counts or any(count < 1 for count in counts):
        raise errors.InvalidRun(f"replica counts {text!r} must be at least 1 each")
    return counts


@dataclasses.dataclass(frozen=True)
class Pinning:
    """CPUs for the servers and for the load generator (this process), so the two do not take each other's cores."""

    servers: str  # taskset's list form, such as "0" or "0-1"
    generator: frozenset[int]


def parse_pin(text: str) -> Pinning:
    """`SERVERS:GENERATOR`, each a CPU or a range (`0:1`, `0-1:2-3`), disjoint and present on this machine."""
    cpus = os.sched_getaffinity(0)

    def cpu_set(part: str) -> frozenset[int]:
        low, _, high = part.partition("-")
        try:
            first, last = int(low), int(high or low)
        except ValueError as exc:
            raise errors.InvalidRun(f"--pin {text!r} must be SERVERS:GENERATOR CPUs, such as 0:1 or 0-1:2") from exc
        chosen = frozenset(range(first, last + 1))
        if not chosen or not chosen <= cpus:
            raise errors.InvalidRun(f"--pin {text!r} names CPUs this process cannot use (available: {sorted(cpus)})")
        return chosen

    servers, sep, generator = text.partition(":")
    if not sep:
        raise errors.InvalidRun(f"--pin {text!r} must be SERVERS:GENERATOR CPUs, such as 0:1 or 0-1:2")
    server_cpus, generator_cpus = cpu_set(servers), cpu_set(generator)
    if server_cpus & generator_cpus:
        raise errors.InvalidRun(f"--pin {text!r}: the servers' and the generator's CPUs must not overlap")
    return Pinning(servers=servers, generator=generator_cpus)


def pinned(specs: list[servers.ServerSpec], pin: Pinning | None) -> list[servers.ServerSpec]:
    """The specs with their commands run under `taskset` on the servers' CPUs, and this process moved to the
    generator's; unchanged without a pin."""
    if pin is None:
        return specs
    os.sched_setaffinity(0, pin.generator)
    return [dataclasses.replace(s, command=("taskset", "-c", pin.servers, *s.command)) for s in specs]


def add_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    batching = commands.add_parser("batching", help="batching benchmark: batcher configurations x offered load")
    batching.add_argument("--configs", default=DEFAULT_CONFIGS, help=f"default {DEFAULT_CONFIGS}")
    batching.add_argument("--peers-venv", type=pathlib.Path, default=DEFAULT_PEERS, help="MLServer's virtualenv")
    batching.set_defaults(handler=run_batching)
    scaling = commands.add_parser("scaling", help="scaling benchmark: replicas behind nginx x offered load")
    scaling.add_argument("--replicas", default="1,2,4")
    scaling.add_argument("--max-batch-size", type=int, help="turn each replica's adaptive batcher on")
    scaling.add_argument(
        "--kubeconfig",
        type=pathlib.Path,
        help="deploy the replicas as InferenceServices on this cluster and load them through --ingress",
    )
    scaling.add_argument("--ingress", default="http://127.0.0.1:8088", help="the cluster's ingress (with --kubeconfig)")
    scaling.add_argument("--namespace", default="loadtest-scaling", help="namespace for the InferenceServices")
    scaling.add_argument("--keep", action="store_true", help="leave the namespace in place afterwards")
    scaling.set_defaults(handler=run_scaling)
    for parser in (batching, scaling):
        parser.add_argument("--model", choices=models.KINDS, default="sklearn")
        parser.add_argument("--levels", default=DEFAULT_LEVELS, help="offered req/s, one step each")
        parser.add_argument("--step-s", type=float, default=5.0)
        parser.add_argument("--min-arrivals", type=int, default=20, help="a low level lasts until it offered this many")
        parser.add_argument("--max-requests", type=int, default=60_000, help="request bound of each run")
        parser.add_argument("--saturation-ms", type=float, default=1000.0, help="p99 that counts as saturated")
        parser.add_argument("--timeout", type=float, default=5.0, help="per-request timeout in seconds")
        parser.add_argument("--out", type=pathlib.Path, required=True, help="folder for runs and the report")
        parser.add_argument("--title", default="")
        parser.add_argument(
            "--pin",
            type=parse_pin,
            help="SERVERS:GENERATOR CPUs (such as 0:1): servers under taskset, the load generator on the others",
        )


def _levels(text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise errors.InvalidRun(f"levels {text!r} must be numbers, e.g. 1,10,100") from exc


@dataclasses.dataclass
class Contender:
    """One configuration under test and what its runs measured so far."""

    label: str
    name: str
    url: str
    scrape: bool
    host_header: str | None = None
    model_name: str | None = None  # the name the server knows the model by, when not the benchmark model's
    rows: list[results.Summary] = dataclasses.field(default_factory=list)
    batches: list[tuple[int, float, metrics.Histogram]] = dataclasses.field(default_factory=list)
    stopped: str = ""
    requests: int = 0


def sweep(args: argparse.Namespace, *, contenders: list[Contender], model: models.BenchModel) -> list[pathlib.Path]:
    """Each level in turn, and within a level each contender in turn, until each is saturated.

    Interleaving keeps a drift in the machine's background load from landing on one configuration only. Each
    contender's levels are written as one run (`<out>/<name>_levels.csv` and the rest) for the report.
    """
    from modelplane.loadtest import running

    payload = payloads.check(document=json.loads(model.payload("v2")), protocol="v2")
    runs = args.out / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    elapsed = 0.0
    for index, level in enumerate(_levels(args.levels)):
        for contender in contenders:
            if contender.stopped:
                continue
            profile = profiles.step(levels=[level], step_s=args.step_s, min_arrivals=args.min_arrivals)
            outcome = running.run(
                running.RunSettings(
                    target=targets.parse(
                        url=contender.url,
                        model=contender.model_name or model.name,
                        protocol="v2",
                        host_header=contender.host_header,
                    ),
                    body=payloads.body(payload),
                    profile=profile,
                    csv_prefix=runs / f"{contender.name}-{level:g}",
                    max_requests=args.max_requests,
                    max_run_time_s=profile.duration_s + args.timeout + 10.0,
                    timeout_s=args.timeout,
                    scrape_metrics=contender.scrape,
                    stop_when_saturated=True,
                    saturation_ms=args.saturation_ms,
                    label=contender.label,
                )
            )
            for row in outcome.levels:
                contender.rows.append(dataclasses.replace(row, key=index, start_s=elapsed))
            contender.batches += [(index, level, hist) for _, _, hist in outcome.batches]
            contender.requests += outcome.requests
            if outcome.saturated or not outcome.levels:
                contender.stopped = f"saturated at level {level:g}"
            measured = "-"
            if outcome.levels:
                row = outcome.levels[0]
                measured = f"p50 {row.p50_ms:8.1f} ms  p99 {row.p99_ms:8.1f} ms  failed {row.failed}"
            mark = "  (saturated)" if contender.stopped else ""
            print(f"{level:>7g} req/s  {contender.label:<22} {measured}{mark}", flush=True)
        elapsed += max(args.step_s, args.min_arrivals / level)
    prefixes = []
    for contender in contenders:
        prefix = args.out / contender.name
        results.write(pathlib.Path(f"{prefix}_levels.csv"), contender.rows)
        results.write(pathlib.Path(f"{prefix}_segments.csv"), contender.rows)
        metrics.write(pathlib.Path(f"{prefix}_batches.csv"), contender.batches)
        results.write_run(
            pathlib.Path(f"{prefix}_run.json"),
            {
                "label": contender.label,
                "target": contender.url,
                "model": model.name,
                "protocol": "v2",
                "shape": "step (levels interleaved across configurations)",
                "pacing": "open",
                "max_requests": args.max_requests,
                "max_run_time_s": "per level: step + timeout + 10",
                "stopped": contender.stopped or "profile done",
                "requests": contender.requests,
            },
        )
        prefixes.append(prefix)
    return prefixes


def run_batching(args: argparse.Namespace) -> int:
    from modelplane.loadtest import reporting, running

    running.stop_on_signals()
    configs = parse_configs(args.configs)
    if any(config.kind in ("fixed", "mlserver-off") for config in configs):
        if args.model != "sklearn":
            raise errors.InvalidRun("fixed and mlserver-off run on MLServer, which serves --model sklearn only here")
        servers.mlserver_binary(args.peers_venv)
    args.out.mkdir(parents=True, exist_ok=True)
    model = models.build(kind=args.model, workdir=args.out / "models")
    specs: list[servers.ServerSpec] = []
    contenders: list[Contender] = []
    for config in configs:
        name = f"{args.model}-{config.slug}"
        if config.kind in ("fixed", "mlserver-off"):
            spec, url = servers.mlserver_spec(
                name=name,
                venv=args.peers_venv,
                model_name=model.name,
                model_file=model.model_file,
                workdir=args.out,
                max_batch_size=config.max_batch_size,
                max_batch_time_ms=config.max_latency_ms,
            )
        else:
            spec, url = servers.runtime_spec(
                name=name,
                model_name=model.name,
                model_dir=model.model_dir,
                workdir=args.out,
                max_batch_size=config.max_batch_size if config.kind == "adaptive" else None,
                max_latency_ms=config.max_latency_ms if config.kind == "adaptive" else None,
            )
        specs.append(spec)
        contenders.append(Contender(label=config.label, name=name, url=url, scrape=config.kind in ("off", "adaptive")))
    with servers.all_running(pinned(specs, args.pin)):
        prefixes = sweep(args, contenders=contenders, model=model)
    path = reporting.compare(
        [reporting.load(prefix) for prefix in prefixes],
        out_dir=args.out,
        name=f"batching-{args.model}",
        title=args.title or f"Batching: {args.model} model",
    )
    print(f"report: {path}")
    return 0


def run_scaling(args: argparse.Namespace) -> int:
    from modelplane.loadtest import reporting, running

    running.stop_on_signals()

    counts = parse_replicas(args.replicas)
    args.out.mkdir(parents=True, exist_ok=True)
    model = models.build(kind=args.model, workdir=args.out / "models")
    if args.kubeconfig is not None:
        return _scaling_on_cluster(args, counts=counts, model=model)
    specs: list[servers.ServerSpec] = []
    contenders: list[Contender] = []
    for count in counts:
        upstreams: list[str] = []
        for index in range(count):
            spec, url = servers.runtime_spec(
                name=f"scaling-{count}-replica-{index}",
                model_name=model.name,
                model_dir=model.model_dir,
                workdir=args.out,
                max_batch_size=args.max_batch_size,
            )
            specs.append(spec)
            upstreams.append(url.removeprefix("http://"))
        balancer, url = servers.nginx_spec(
            name=f"scaling-{count}-nginx",
            upstreams=upstreams,
            workdir=args.out,
            ready_path=f"/v2/models/{model.name}/ready",
        )
        specs.append(balancer)
        contenders.append(Contender(label=_replicas_label(count), name=f"scaling-{count}", url=url, scrape=False))
    with servers.all_running(pinned(specs, args.pin)):
        prefixes = sweep(args, contenders=contenders, model=model)
    path = reporting.compare(
        [reporting.load(prefix) for prefix in prefixes],
        out_dir=args.out,
        name=f"scaling-{args.model}",
        title=args.title or f"Scaling: {args.model} model behind nginx",
    )
    print(f"report: {path}")
    return 0


def _replicas_label(count: int) -> str:
    return f"{count} replica" if count == 1 else f"{count} replicas"


def _scaling_on_cluster(args: argparse.Namespace, *, counts: list[int], model: models.BenchModel) -> int:
    """The same sweep against InferenceServices of 1, 2, 4... fixed replicas behind the cluster's ingress."""
    from modelplane.loadtest import deploying, reporting

    if args.model != "sklearn":
        raise errors.InvalidRun("on a cluster the scaling benchmark serves --model sklearn (the chart's runtime)")
    if args.max_batch_size is not None:
        raise errors.InvalidRun("--max-batch-size applies to local replicas; give the InferenceServices a batcher")
    if args.pin is not None:
        raise errors.InvalidRun("--pin applies to local servers; on a cluster the pods run where it schedules them")
    with deploying.deployed(
        kubeconfig=args.kubeconfig, namespace=args.namespace, model_file=model.model_file, counts=counts,
        keep=args.keep,
    ) as hosts:  # fmt: skip
        # Each InferenceService serves the model under its own name (the runtime's `--model_name={{.Name}}`).
        contenders = [
            Contender(
                label=f"{_replicas_label(count)} (ingress)",
                name=f"scaling-{count}",
                url=args.ingress,
                scrape=False,
                host_header=hosts[count],
                model_name=deploying.isvc_name(count),
            )
            for count in counts
        ]
        prefixes = sweep(args, contenders=contenders, model=model)
    path = reporting.compare(
        [reporting.load(prefix) for prefix in prefixes],
        out_dir=args.out,
        name=f"scaling-{args.model}-ingress",
        title=args.title or f"Scaling: {args.model} model, InferenceServices behind the cluster's ingress",
    )
    print(f"report: {path}")
    return 0
