"""A TorchScript ResNet-18 on a GPU through the runtime (a benchmark, not a test): batching off vs adaptive.

Builds a ResNet-18 (random weights, fp16 on CUDA) behind a small TorchScript preprocessing step that takes the images
as UINT8 `[N, 3, H, W]` (what a camera or a decoded JPEG gives; half the bytes of FP16 on the wire), scales and
normalises them on the device, and returns FP16 logits. Then:

1. model only: images/s of the plain fp16 ResNet-18 and of the served module at batch 1, 64 and 128;
2. serves it with `python -m modelplane.runtime` three times (batching off, adaptive 32 x 10 ms, adaptive
   128 x 50 ms) on 127.0.0.1 and checks that one served answer equals the module's own logits;
3. closed loop: C connections (1, 16, 64) each sending one image per V2 binary-data request
   (`Inference-Header-Content-Length`, logits asked back as binary data) when the last is answered;
4. open loop: Poisson arrivals at an offered rate of images/s, latency counted from each request's due time, from
   10 img/s until a configuration saturates (p99 over 1 s, failures, or requests left unanswered).

The load comes from worker processes (up to 8), each with its own share of connections or of the offered rate, so
the generator is not the bottleneck. Mean batch = images per predict call, from the server's `modelplane_batch_size`
histogram. Results go to OUT/resnet-gpu.json; `--plot` draws them as PNGs. `--stand-in-ms MS` serves a model that
only sleeps MS per call instead of the ResNet (no torch needed): what the server itself costs, e.g. on two cores

    taskset -c 1 .venv/bin/python runtimes/benchmarks/resnet_gpu.py --stand-in-ms 1.5 --server-cpus 0 \
        --concurrency 64 --rates '' --out .work/stand-in

    python3 runtimes/benchmarks/resnet_gpu.py --out OUT          # on the GPU machine (CPU works, slowly)
    .venv/bin/python runtimes/benchmarks/resnet_gpu.py --plot OUT/resnet-gpu.json --img docs/img

Every server and every request stays on 127.0.0.1; every run is bounded in time and in requests (a closed-loop run at
most 100,000 per generator process; an open-loop run its rate times its duration).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import multiprocessing
import os
import pathlib
import platform
import random
import re
import subprocess
import sys
import time
import urllib.request
from typing import Any

import runtime_bench as bench

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL = "resnet"
PATH = f"/v2/models/{MODEL}/infer"
CONFIGS = {
    "off": [],
    "adaptive 32 x 10 ms": ["--max_batch_size", "32", "--max_latency_ms", "10"],
    "adaptive 128 x 50 ms": ["--max_batch_size", "128", "--max_latency_ms", "50"],
}
CLOSED_CONFIGS = ("off", "adaptive 128 x 50 ms")
SATURATED_P99_MS = 1000.0
MAX_WORKERS = 8
#: Request bound of one closed-loop run per generator process (the open loop is bounded by its rate and duration).
MAX_REQUESTS_PER_WORKER = 100_000


# --- the model --------------------------------------------------------------------------------------------------------


def build(directory: pathlib.Path, *, size: int) -> dict[str, Any]:
    """Trace the served module into DIRECTORY/model.pt with its metadata.json; return the model-only figures."""
    import torch
    import torchvision

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dtype = torch.float16 if device.type == "cuda" else torch.float32
    torch.manual_seed(0)
    network = torchvision.models.resnet18(weights=None).to(device=device, dtype=dtype).eval()

    class Served(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.network = network
            mean = torch.tensor([0.485, 0.456, 0.406], device=device, dtype=dtype).view(1, 3, 1, 1)
            std = torch.tensor([0.229, 0.224, 0.225], device=device, dtype=dtype).view(1, 3, 1, 1)
            self.register_buffer("scale", 1.0 / (255.0 * std))
            self.register_buffer("shift", mean / std)

        def forward(self, images: torch.Tensor) -> torch.Tensor:
            return self.network(images.to(self.scale.dtype) * self.scale - self.shift)

    served = Served().eval()
    example = torch.randint(0, 256, (2, 3, size, size), dtype=torch.uint8, device=device)
    with torch.inference_mode():
        traced = torch.jit.trace(served, example)
    directory.mkdir(parents=True, exist_ok=True)
    datatype = "FP16" if dtype == torch.float16 else "FP32"
    (directory / "metadata.json").write_text(
        json.dumps(
            {
                "inputs": [{"name": "images", "datatype": "UINT8", "shape": [-1, 3, size, size]}],
                "outputs": [{"name": "logits", "datatype": datatype, "shape": [-1, 1000]}],
            }
        )
    )
    traced.save(str(directory / "model.pt"))
    figures: dict[str, Any] = {"device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu"}
    for label, module, make in (
        ("resnet18 fp16" if dtype == torch.float16 else "resnet18 fp32", network,
         lambda n: torch.randn(n, 3, size, size, device=device, dtype=dtype)),
        ("served (uint8 in)", traced, lambda n: torch.randint(0, 256, (n, 3, size, size), dtype=torch.uint8,
                                                              device=device)),
    ):  # fmt: skip
        for batch in (1, 64, 128):
            figures[f"{label} batch {batch} img/s"] = round(_images_per_s(torch, module, make(batch), device), 1)
    return figures


def _images_per_s(torch: Any, module: Any, batch: Any, device: Any) -> float:
    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    with torch.inference_mode():
        for _ in range(5):
            module(batch)
        sync()
        runs, started = 0, time.perf_counter()
        while runs < 10 or time.perf_counter() - started < 1.0:
            module(batch)
            runs += 1
            if runs % 10 == 0:
                sync()
        sync()
        return runs * batch.shape[0] / (time.perf_counter() - started)


STAND_IN = """
import time

import numpy as np
from modelplane.runtime import messages, model, tensors


class StandIn(model.Model):
    run_in_thread = True  # as the TorchScript adapter

    def predict(self, request):
        time.sleep(SLEEP_S)
        rows = request.inputs[0].data.shape[0]
        logits = np.zeros((rows, 1000), dtype=np.float16)
        return messages.InferResponse(model_name=self.name, outputs=[tensors.Tensor.from_array(name="logits",
                                                                                                 array=logits)])
"""


def stand_in(directory: pathlib.Path, *, sleep_ms: float) -> dict[str, Any]:
    """A custom model with the ResNet's interface that only sleeps: what the server costs without the model."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "model.py").write_text(STAND_IN.replace("SLEEP_S", repr(sleep_ms / 1000)))
    return {"device": f"stand-in sleeping {sleep_ms} ms"}


# --- requests ---------------------------------------------------------------------------------------------------------


def request_bytes(size: int, seed: int = 0) -> tuple[bytes, bytes]:
    """(the whole HTTP request, the image's raw bytes) for one UINT8 image as V2 binary data."""
    image = random.Random(seed).randbytes(3 * size * size)  # noqa: S311 (pixels, not secrets)
    header = json.dumps(
        {
            "inputs": [{"name": "images", "shape": [1, 3, size, size], "datatype": "UINT8",
                        "parameters": {"binary_data_size": len(image)}}],
            "outputs": [{"name": "logits", "parameters": {"binary_data": True}}],
        }
    ).encode()  # fmt: skip
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
        f"Inference-Header-Content-Length: {len(header)}\r\nContent-Length: {len(header) + len(image)}\r\n\r\n"
    ).encode()
    return head + header + image, image


def check_answer(port: int, *, size: int, model_dir: pathlib.Path) -> float:
    """Largest difference between a served answer and the module's own logits for the same image."""
    import numpy as np
    import torch

    request, image = request_bytes(size, seed=7)
    head, body = request.split(b"\r\n\r\n", 1)
    headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])
    reply = urllib.request.urlopen(
        urllib.request.Request(f"http://127.0.0.1:{port}{PATH}", data=body, headers=headers), timeout=60
    )
    raw = reply.read()
    length = int(reply.headers["Inference-Header-Content-Length"])
    answer = json.loads(raw[:length])
    output = answer["outputs"][0]
    dtype = np.float16 if output["datatype"] == "FP16" else np.float32
    served = np.frombuffer(raw[length:], dtype=dtype).astype(np.float32)
    module = torch.jit.load(str(model_dir / "model.pt"))
    device = next(module.parameters()).device
    pixels = torch.frombuffer(bytearray(image), dtype=torch.uint8).view(1, 3, size, size).to(device)
    with torch.inference_mode():
        expected = module(pixels).float().cpu().numpy().ravel()
    if served.shape != expected.shape:
        raise RuntimeError(f"served logits have shape {served.shape}, the module's {expected.shape}")
    return float(np.max(np.abs(served - expected)))


# --- load generators (run in worker processes) ------------------------------------------------------------------------


async def _answer(reader: asyncio.StreamReader) -> bool:
    head = await reader.readuntil(b"\r\n\r\n")
    match = re.search(rb"(?im)^content-length: *(\d+)", head)
    await reader.readexactly(int(match.group(1)) if match else 0)
    return head.startswith(b"HTTP/1.1 200")


async def _closed(port: int, connections: int, warmup: float, duration: float, request: bytes) -> dict[str, Any]:
    streams = [await asyncio.open_connection("127.0.0.1", port) for _ in range(connections)]
    start = time.perf_counter()
    window, end = start + warmup, start + warmup + duration
    latencies: list[float] = []
    failures = 0
    budget = MAX_REQUESTS_PER_WORKER

    async def loop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal failures, budget
        while (sent := time.perf_counter()) < end and budget > 0:
            budget -= 1
            writer.write(request)
            ok = await _answer(reader)
            done = time.perf_counter()
            if window <= done < end:
                latencies.append((done - sent) * 1000)
                failures += not ok

    await asyncio.wait_for(asyncio.gather(*(loop(r, w) for r, w in streams)), timeout=warmup + duration + 60)
    for _, writer in streams:
        writer.close()
    return {"latencies": latencies, "errors": failures}


async def _open(port: int, rate: float, duration: float, connections: int, seed: int, request: bytes) -> dict[str, Any]:
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    latencies: list[float] = []
    failures = 0

    async def one(due: float) -> None:
        nonlocal failures
        reader, writer = await pool.get()
        writer.write(request)
        ok = await _answer(reader)
        latencies.append((time.perf_counter() - due) * 1000)  # from the due time: waiting for a connection counts
        failures += not ok
        pool.put_nowait((reader, writer))

    arrivals = random.Random(seed)  # noqa: S311 (arrival times, not secrets)
    start, offset, sent = time.perf_counter(), 0.0, []
    while (offset := offset + arrivals.expovariate(rate)) < duration:
        delay = start + offset - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent.append(asyncio.ensure_future(one(start + offset)))
    _, pending = await asyncio.wait(sent, timeout=30)
    for task in pending:
        task.cancel()
    return {"latencies": latencies, "errors": failures, "unanswered": len(pending), "sent": len(sent)}


def closed_worker(port: int, connections: int, warmup: float, duration: float, size: int) -> dict[str, Any]:
    return asyncio.run(_closed(port, connections, warmup, duration, request_bytes(size)[0]))


def open_worker(port: int, rate: float, duration: float, connections: int, seed: int, size: int) -> dict[str, Any]:
    return asyncio.run(_open(port, rate, duration, connections, seed, request_bytes(size)[0]))


# --- servers ----------------------------------------------------------------------------------------------------------


class Server:
    def __init__(
        self,
        *,
        label: str,
        extra: list[str],
        model_dir: pathlib.Path,
        log: pathlib.Path,
        model_format: str,
        pin: list[str],
        workers: int,
    ) -> None:
        self.label = label
        self.workers = workers
        self.port = bench.free_port()
        self.log = log.open("wb")
        command = [*pin, sys.executable, "-m", "modelplane.runtime", "--model_name", MODEL,
                   "--model_dir", str(model_dir), "--model_format", model_format, "--http_port", str(self.port),
                   "--grpc_port", "0", "--log_level", "warning", "--workers", str(workers), *extra]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self) -> None:
        url = f"{self.url}/v2/models/{MODEL}/ready"
        try:
            bench.wait_ready(url, self.process, timeout_s=180.0)
        except RuntimeError as exc:
            raise RuntimeError(f"the {self.label} server: {exc}; see {self.log.name}") from exc

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the server's processes have used so far."""
        return bench.tree_cpu_s(self.process.pid)

    def batches(self) -> tuple[float, float]:
        """`bench.batches` of the model, once every worker's latest counts are in (they publish once a second)."""
        self._settle()
        return bench.batches(self.url, MODEL)

    def mean_batch(self, before: tuple[float, float]) -> float | None:
        self._settle()
        return bench.mean_batch(self.url, MODEL, before)

    def _settle(self) -> None:
        if self.workers > 1:
            time.sleep(1.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            bench.stop_group(self.process)
        self.log.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 2) if ordered else float("nan")


def split(total: int | float, parts: int) -> list[Any]:
    if isinstance(total, int):
        return [total // parts + (i < total % parts) for i in range(parts)]
    return [total / parts] * parts


# --- the benchmark ----------------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    args.out.mkdir(parents=True, exist_ok=True)
    model_dir = args.out / "model"
    started = time.monotonic()
    if args.stand_in_ms is not None:
        print(f"[resnet] serving a stand-in that sleeps {args.stand_in_ms} ms per call (server cost alone)", flush=True)
        model_only = stand_in(model_dir, sleep_ms=args.stand_in_ms)
    else:
        print(f"[resnet] building the TorchScript ResNet-18 ({args.size}x{args.size}) and timing it alone", flush=True)
        model_only = build(model_dir, size=args.size)
    for key, value in model_only.items():
        print(f"[resnet]   {key}: {value}", flush=True)
    model_format = "custom" if args.stand_in_ms is not None else "pytorch"
    pin = ["taskset", "-c", args.server_cpus] if args.server_cpus else []
    servers = {
        label: Server(
            label=label,
            extra=extra,
            model_dir=model_dir,
            log=args.out / f"server-{i}.log",
            model_format=model_format,
            pin=pin,
            workers=args.workers,
        )
        for i, (label, extra) in enumerate(CONFIGS.items())
    }
    results: dict[str, Any] = {
        "command": " ".join(sys.argv),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "node": platform.node()},
        "image_size": args.size,
        "server_workers": args.workers,
        "model_only": model_only,
        "closed": [],
        "open": [],
    }
    path = args.out / "resnet-gpu.json"

    def save() -> None:  # after every row, so a run cut short still leaves what it measured
        path.write_text(json.dumps(results, indent=2))

    context = multiprocessing.get_context("spawn")
    try:
        with concurrent.futures.ProcessPoolExecutor(MAX_WORKERS, mp_context=context) as pool:
            for server in servers.values():
                server.wait_ready()
            if args.stand_in_ms is None:
                difference = check_answer(servers["adaptive 128 x 50 ms"].port, size=args.size, model_dir=model_dir)
                results["served_vs_module_max_abs_difference"] = difference
                print(f"[resnet] served logits differ from the module's by at most {difference:.4g}", flush=True)
            print(f"[resnet] servers ready after {time.monotonic() - started:.0f} s; warming each up", flush=True)
            # The first calls at each batch size pay TorchScript's profiling runs: warm every server up at the
            # batch sizes a run will see (1 to 128 rows).
            for server in servers.values():
                for concurrency in (8, 32, 128):
                    parts = [pool.submit(closed_worker, server.port, n, 0.0, 1.0, args.size)
                             for n in split(concurrency, MAX_WORKERS)]  # fmt: skip
                    for part in parts:
                        part.result()
            for concurrency in args.concurrency:
                for label in CLOSED_CONFIGS:
                    results["closed"].append(closed(pool, servers[label], concurrency=concurrency, args=args))
                    save()
            saturated: set[str] = set()
            for rate in args.rates:
                for label, server in servers.items():
                    if label not in saturated:
                        row = offered(pool, server, rate=rate, args=args)
                        results["open"].append(row)
                        save()
                        if row["saturated"]:
                            saturated.add(label)
    finally:
        for server in servers.values():
            server.stop()
    results["wall_s"] = round(time.monotonic() - started, 1)
    save()
    return results


def closed(pool: Any, server: Server, *, concurrency: int, args: argparse.Namespace) -> dict[str, Any]:
    workers = min(MAX_WORKERS, concurrency)
    before, cpu_before = server.batches(), server.cpu_s()
    parts = [pool.submit(closed_worker, server.port, n, 1.0, args.duration, args.size)
             for n in split(concurrency, workers)]  # fmt: skip
    done = [part.result() for part in parts]
    latencies = [x for d in done for x in d["latencies"]]
    row = {"config": server.label, "concurrency": concurrency, "images_per_s": round(len(latencies) / args.duration, 1),
           "p50_ms": percentile(latencies, 0.5), "p99_ms": percentile(latencies, 0.99),
           "errors": sum(d["errors"] for d in done),
           "server_cpu_per_s": round((server.cpu_s() - cpu_before) / (args.duration + 1.0), 2)}  # fmt: skip
    row["mean_batch"] = server.mean_batch(before)
    print(f"[resnet] closed {row['config']:22} c={concurrency:<3} {row['images_per_s']:9.1f} img/s  p50 "
          f"{row['p50_ms']:8.2f} ms  p99 {row['p99_ms']:8.2f} ms  batch {row['mean_batch']}  errors {row['errors']}  "
          f"server CPU {row['server_cpu_per_s']} s/s",
          flush=True)  # fmt: skip
    return row


def offered(pool: Any, server: Server, *, rate: float, args: argparse.Namespace) -> dict[str, Any]:
    duration = max(args.duration, 50 / rate)  # at least 50 requests per level
    workers = max(1, min(MAX_WORKERS, int(rate // 250) + 1))
    before = server.batches()
    connections = max(4, args.connections // workers)
    parts = [pool.submit(open_worker, server.port, share, duration, connections, seed, args.size)
             for seed, share in enumerate(split(float(rate), workers))]  # fmt: skip
    done = [part.result() for part in parts]
    latencies = [x for d in done for x in d["latencies"]]
    sent, unanswered = sum(d["sent"] for d in done), sum(d["unanswered"] for d in done)
    errors = sum(d["errors"] for d in done)
    row = {"config": server.label, "offered_per_s": rate, "answered_per_s": round(len(latencies) / duration, 1),
           "sent": sent, "unanswered": unanswered, "errors": errors, "p50_ms": percentile(latencies, 0.5),
           "p99_ms": percentile(latencies, 0.99), "mean_batch": server.mean_batch(before)}  # fmt: skip
    row["saturated"] = bool(unanswered or errors or not latencies or row["p99_ms"] > SATURATED_P99_MS)
    print(f"[resnet] open   {row['config']:22} {rate:>6g} img/s offered  {row['answered_per_s']:9.1f} answered  p50 "
          f"{row['p50_ms']:8.2f} ms  p99 {row['p99_ms']:8.2f} ms  batch {row['mean_batch']}  unanswered "
          f"{unanswered}{'  SATURATED' if row['saturated'] else ''}", flush=True)  # fmt: skip
    return row


# --- plots ------------------------------------------------------------------------------------------------------------


def plot(results: dict[str, Any], directory: pathlib.Path) -> list[pathlib.Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    device = results["model_only"]["device"]
    workers = int(results.get("server_workers", 1))
    suffix = f"-workers{workers}" if workers > 1 else ""  # a run with --workers N keeps its own file names
    served = f", {workers} server processes" if workers > 1 else ""
    written = []
    figure, axis = plt.subplots(figsize=(7, 4))
    levels = sorted({row["concurrency"] for row in results["closed"]})
    width = 0.8 / len(CLOSED_CONFIGS)
    for index, label in enumerate(CLOSED_CONFIGS):
        values = {row["concurrency"]: row["images_per_s"] for row in results["closed"] if row["config"] == label}
        positions = [i + index * width for i in range(len(levels))]
        bars = axis.bar(positions, [values.get(level, 0) for level in levels], width, label=f"batching {label}")
        axis.bar_label(bars, fmt="%.0f", fontsize=8)
    axis.set_xticks([i + width * (len(CLOSED_CONFIGS) - 1) / 2 for i in range(len(levels))], [str(c) for c in levels])
    axis.set_xlabel("concurrent connections (closed loop, 1 image per request)")
    axis.set_ylabel("images/s")
    axis.set_title(f"ResNet-18 fp16 over V2 binary data, {device}{served}")
    axis.legend()
    figure.tight_layout()
    written.append(directory / f"batching-resnet-gpu-closed{suffix}.png")
    figure.savefig(written[-1], dpi=110)
    plt.close(figure)
    for metric, title, name in (
        ("p50_ms", "p50 latency (ms)", f"batching-resnet-gpu-p50{suffix}.png"),
        ("p99_ms", "p99 latency (ms)", f"batching-resnet-gpu-p99{suffix}.png"),
        ("mean_batch", "mean images per predict call", f"batching-resnet-gpu-batch-mean{suffix}.png"),
    ):
        if not results["open"]:
            break
        figure, axis = plt.subplots(figsize=(7, 4))
        for label in CONFIGS:
            rows = [row for row in results["open"] if row["config"] == label and row[metric] is not None]
            if rows:
                axis.plot([r["offered_per_s"] for r in rows], [r[metric] for r in rows], marker="o", label=label)
        axis.set_xscale("log")
        if metric != "mean_batch":
            axis.set_yscale("log")
        axis.set_xlabel("offered images/s (open loop, Poisson arrivals)")
        axis.set_ylabel(title)
        axis.set_title(f"ResNet-18 fp16, {device}{served}: {title} by offered load")
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
        figure.tight_layout()
        written.append(directory / name)
        figure.savefig(written[-1], dpi=110)
        plt.close(figure)
    return written


def _no_gpu(*, allow_cpu: bool) -> str:
    """Why the model cannot be measured here ('' when it can: on a GPU, or on the CPU when `allow_cpu`)."""
    try:
        import torch
        import torchvision  # noqa: F401
    except ImportError as error:
        return (
            f"this benchmark needs torch and torchvision ({error.name} is missing): install them, or give "
            "--stand-in-ms MS to try the machinery with a model that only sleeps"
        )
    if not torch.cuda.is_available() and not allow_cpu:
        return (
            "no CUDA device here: run it on a GPU machine, give --allow-cpu to measure the model on the CPU "
            "(float32; not GPU figures), or --stand-in-ms MS"
        )
    return ""


def main() -> int:
    parser = argparse.ArgumentParser(description="ResNet-18 on a GPU through the runtime: batching off vs adaptive.")
    parser.add_argument("--out", type=pathlib.Path, help="folder for the model, the server logs and resnet-gpu.json")
    parser.add_argument("--size", type=int, default=224, help="image side in pixels")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds measured per run")
    parser.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",") if x], default=[1, 16, 64],
                        help="closed-loop connection counts ('' skips the closed loop)")  # fmt: skip
    parser.add_argument("--rates", type=lambda s: [float(x) for x in s.split(",") if x],
                        default=[10, 50, 200, 500, 1000, 2000, 4000, 8000],
                        help="open-loop offered images/s ('' skips the open loop)")  # fmt: skip
    parser.add_argument("--connections", type=int, default=512, help="open-loop connections, over all workers")
    parser.add_argument("--stand-in-ms", type=float, help="serve a model that only sleeps this long per call instead")
    parser.add_argument("--server-cpus", help="run the servers on these CPUs (taskset -c LIST), e.g. 0")
    parser.add_argument("--workers", type=int, default=1, help="the servers' --workers (processes sharing the port)")
    parser.add_argument("--plot", type=pathlib.Path, help="draw the PNGs of an earlier run's resnet-gpu.json")
    parser.add_argument("--img", type=pathlib.Path, default=ROOT / "docs" / "img", help="where --plot writes")
    parser.add_argument("--allow-cpu", action="store_true", help="measure the model on the CPU when no GPU is here")
    args = parser.parse_args()
    if args.plot:
        for path in plot(json.loads(args.plot.read_text()), args.img):
            print(f"wrote {path}")
        return 0
    if args.out is None:
        parser.error("give --out FOLDER (or --plot RESULTS.json)")
    if args.stand_in_ms is None and (problem := _no_gpu(allow_cpu=args.allow_cpu)):
        parser.error(problem)
    results = run(args)
    print(f"[resnet] done in {results['wall_s']} s; wrote {args.out / 'resnet-gpu.json'}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
