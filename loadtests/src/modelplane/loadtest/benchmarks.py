"""The batching and scaling benchmarks: start servers on 127.0.0.1, sweep offered load, write a compared report.

`batching`: one model, several batcher configurations, each swept open-loop from 1 req/s up to saturation (a
run stops at the first saturated level). Configurations: `off` (Modelplane's runtime without a batcher),
`adaptive:B:L` (its adaptive batcher, max batch size B, max latency L ms), `fixed:B:L` (MLServer 1.7.1's batcher,
which waits for B requests or L ms: the behaviour of KServe's batcher sidecar) and `mlserver-off` (MLServer
without batching, the baseline for the fixed ones). All use the V2 protocol, which both servers speak.

`scaling`: 1, 2, 4... replicas of the runtime behind nginx (round robin), each swept open-loop the same way.
The Knative autoscaler's part (time to scale on a step or spike, cold start from zero) needs a cluster running
Knative: point `modelplane-loadtest run --shape step|spike --kubeconfig ... --isvc ...` at it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pathlib

from modelplane.loadtest import errors, models, payloads, profiles, servers, targets

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


def add_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    batching = commands.add_parser("batching", help="batching benchmark: batcher configurations x offered load")
    batching.add_argument("--configs", default=DEFAULT_CONFIGS, help=f"default {DEFAULT_CONFIGS}")
    batching.add_argument("--peers-venv", type=pathlib.Path, default=DEFAULT_PEERS, help="MLServer's virtualenv")
    batching.set_defaults(handler=run_batching)
    scaling = commands.add_parser("scaling", help="scaling benchmark: replicas behind nginx x offered load")
    scaling.add_argument("--replicas", default="1,2,4")
    scaling.add_argument("--max-batch-size", type=int, help="turn each replica's adaptive batcher on")
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


def _levels(text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise errors.InvalidRun(f"levels {text!r} must be numbers, e.g. 1,10,100") from exc


def _sweep(
    args: argparse.Namespace, *, url: str, model: models.BenchModel, prefix: pathlib.Path, label: str, scrape: bool
) -> pathlib.Path:
    from modelplane.loadtest import running

    target = targets.parse(url=url, model=model.name, protocol="v2")
    profile = profiles.step(levels=_levels(args.levels), step_s=args.step_s, min_arrivals=args.min_arrivals)
    payload = payloads.check(document=json.loads(model.payload("v2")), protocol="v2")
    outcome = running.run(
        running.RunSettings(
            target=target,
            body=payloads.body(payload),
            profile=profile,
            csv_prefix=prefix,
            max_requests=args.max_requests,
            max_run_time_s=profile.duration_s + args.timeout + 10.0,
            timeout_s=args.timeout,
            scrape_metrics=scrape,
            stop_when_saturated=True,
            saturation_ms=args.saturation_ms,
            label=label,
        )
    )
    print(f"{label}: stopped by {outcome.stopped}, {outcome.requests} requests")
    return prefix


def run_batching(args: argparse.Namespace) -> int:
    from modelplane.loadtest import reporting

    configs = parse_configs(args.configs)
    if any(config.kind in ("fixed", "mlserver-off") for config in configs):
        if args.model != "sklearn":
            raise errors.InvalidRun("fixed and mlserver-off run on MLServer, which serves --model sklearn only here")
        servers.mlserver_binary(args.peers_venv)
    args.out.mkdir(parents=True, exist_ok=True)
    model = models.build(kind=args.model, workdir=args.out / "models")
    prefixes: list[pathlib.Path] = []
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
        with servers.running(spec):
            prefixes.append(
                _sweep(
                    args,
                    url=url,
                    model=model,
                    prefix=args.out / name,
                    label=config.label,
                    scrape=config.kind in ("off", "adaptive"),
                )
            )
    path = reporting.compare(
        [reporting.load(prefix) for prefix in prefixes],
        out_dir=args.out,
        name=f"batching-{args.model}",
        title=args.title or f"Batching: {args.model} model",
    )
    print(f"report: {path}")
    return 0


def run_scaling(args: argparse.Namespace) -> int:
    from modelplane.loadtest import reporting

    counts = parse_replicas(args.replicas)
    args.out.mkdir(parents=True, exist_ok=True)
    model = models.build(kind=args.model, workdir=args.out / "models")
    prefixes: list[pathlib.Path] = []
    for count in counts:
        specs: list[servers.ServerSpec] = []
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
        with servers.all_running([*specs, balancer]):
            prefixes.append(
                _sweep(
                    args,
                    url=url,
                    model=model,
                    prefix=args.out / f"scaling-{count}",
                    label=f"{count} replicas",
                    scrape=False,
                )
            )
    path = reporting.compare(
        [reporting.load(prefix) for prefix in prefixes],
        out_dir=args.out,
        name=f"scaling-{args.model}",
        title=args.title or f"Scaling: {args.model} model behind nginx",
    )
    print(f"report: {path}")
    return 0
