"""Adaptive batching under load for a slow model (a benchmark, not a test): batching off vs adaptive, side by side.

Serves the batching load test's model, a 30-tree scikit-learn random forest on iris (~5 ms per predict whether the
call carries 1 row or 32, run in the event loop), from two servers pinned to core 0: one with batching off, one with
`--max_batch_size 32 --max_latency_ms 50`. Sends one-row V2 requests from core 1, in two ways, alternating between
the servers at every level:

- closed loop: wrk with C connections, each sending its next request when the last is answered;
- open loop: Poisson arrivals at R req/s over a pool of keep-alive connections, whatever the latency (a small
  asyncio generator: this script run again under taskset with `--open-loop`).

For every run it prints req/s, p50, p99 and the mean batch size (rows per predict call, from the server's
`modelplane_batch_size` histogram before and after the run), and writes them as JSON.

    .venv/bin/python runtimes/benchmarks/batching_load.py --duration 5 --out .work/batching-load
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pathlib
import random
import re
import subprocess
import sys
import tempfile
import time

import runtime_bench as bench

BODY = json.dumps({"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP64", "data": [6.8, 2.8, 4.8, 1.4]}]})
MODEL = "forest"
PATH = f"/v2/models/{MODEL}/infer"


def train(directory: pathlib.Path) -> pathlib.Path:
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier

    directory.mkdir(parents=True, exist_ok=True)
    joblib.dump(RandomForestClassifier(n_estimators=30, random_state=0).fit(*load_iris(return_X_y=True)),
                directory / "model.joblib")  # fmt: skip
    return directory


# --- the open-loop generator (run as a separate process on core 1) ---------------------------------------------------


async def _open_loop(port: int, rate: float, duration: float, connections: int) -> dict[str, float]:
    request = (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(BODY)}\r\n\r\n{BODY}"
    ).encode()
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    latencies: list[float] = []
    failures = 0

    async def one() -> None:
        nonlocal failures
        reader, writer = await pool.get()
        started = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
        await reader.readexactly(length)
        latencies.append((time.perf_counter() - started) * 1000)
        failures += not head.startswith(b"HTTP/1.1 200")
        pool.put_nowait((reader, writer))

    schedule = random.Random(1)  # noqa: S311 (arrival times, not secrets)
    start, due, sent = time.perf_counter(), 0.0, []
    while due < duration:
        due += schedule.expovariate(rate)
        delay = start + due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent.append(asyncio.ensure_future(one()))
    await asyncio.wait_for(asyncio.gather(*sent), timeout=120)
    wall = time.perf_counter() - start
    latencies.sort()
    return {
        "rps": len(latencies) / wall,
        "p50_ms": latencies[len(latencies) // 2],
        "p99_ms": latencies[int(len(latencies) * 0.99)],
        "errors": failures,
    }


def open_loop(port: int, *, rate: float, duration: int, connections: int) -> dict[str, float]:
    command = ["taskset", "-c", "1", sys.executable, __file__, "--open-loop", str(port), str(rate), str(duration),
               str(connections)]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=duration + 180).stdout
    result: dict[str, float] = json.loads(out)
    return result


# --- the benchmark ----------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description="Adaptive batching vs off for a slow model, closed and open loop.")
    parser.add_argument("--duration", type=int, default=5, help="seconds per run (after a 1 s warm-up)")
    parser.add_argument("--concurrency", default="1,4,16,64", help="closed-loop connection counts")
    parser.add_argument("--rates", default="100,200,400,800", help="open-loop offered req/s")
    parser.add_argument("--connections", type=int, default=256, help="open-loop connection pool")
    parser.add_argument("--out", type=pathlib.Path, default=bench.ROOT / ".work" / "batching-load")
    parser.add_argument("--open-loop", nargs=4, metavar=("PORT", "RATE", "DURATION", "CONNECTIONS"), help="internal")
    args = parser.parse_args()
    if args.open_loop:
        port, rate, duration, connections = args.open_loop
        print(json.dumps(asyncio.run(_open_loop(int(port), float(rate), float(duration), int(connections)))))
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    work = pathlib.Path(tempfile.mkdtemp(prefix="batching-", dir=args.out))
    model_dir = train(work / "forest")
    script = bench.lua(BODY, work, "v2")
    python = str(bench.ROOT / ".venv" / "bin" / "python")
    servers: dict[str, tuple[bench.Launch, str]] = {}
    load_before = os.getloadavg()
    results = []
    try:
        for label, extra in (
            ("off", []),
            ("adaptive 32 x 50 ms", ["--max_batch_size", "32", "--max_latency_ms", "50"]),
        ):
            port = bench.free_port()
            command = [python, "-m", "modelplane.runtime", "--model_name", "forest", "--model_dir", str(model_dir),
                       "--http_port", str(port), "--grpc_port", "0", "--log_level", "warning", *extra]  # fmt: skip
            launch = bench.Launch(command, ready_url=f"http://127.0.0.1:{port}/v2/health/ready",
                                  log=work / f"server-{port}.log")  # fmt: skip
            servers[label] = (launch, f"http://127.0.0.1:{port}")
        for concurrency in [int(c) for c in args.concurrency.split(",")]:
            for label, (_, url) in servers.items():
                bench.wrk(url=url + PATH, script=script, concurrency=concurrency, duration=1)
                before = bench.batches(url, MODEL)
                rps, p50, p99, errors = bench.wrk(url=url + PATH, script=script, concurrency=concurrency,
                                                  duration=args.duration)  # fmt: skip
                row = {"load": "closed", "config": label, "level": concurrency, "rps": rps, "p50_ms": p50,
                       "p99_ms": p99, "errors": errors, "mean_batch": bench.mean_batch(url, MODEL, before)}  # fmt: skip
                results.append(row)
                report(row)
        for rate in [float(r) for r in args.rates.split(",")]:
            for label, (_, url) in servers.items():
                before = bench.batches(url, MODEL)
                measured = open_loop(int(url.rsplit(":", 1)[1]), rate=rate, duration=args.duration,
                                     connections=args.connections)  # fmt: skip
                row = {
                    "load": "open",
                    "config": label,
                    "level": rate,
                    **measured,
                    "mean_batch": bench.mean_batch(url, MODEL, before),
                }
                results.append(row)
                report(row)
    finally:
        for launch, _ in servers.values():
            launch.stop()
    summary = {"command": " ".join(sys.argv), "duration_s": args.duration,
               "load_average_before": [round(x, 2) for x in load_before],
               "load_average_after": [round(x, 2) for x in os.getloadavg()], "results": results}  # fmt: skip
    (args.out / "batching-load.json").write_text(json.dumps(summary, indent=2))
    print(f"load average before {summary['load_average_before']}, after {summary['load_average_after']}")
    print(f"wrote {args.out / 'batching-load.json'}")
    return 0


def report(row: dict[str, object]) -> None:
    unit = "connections" if row["load"] == "closed" else "req/s offered"
    print(f"{row['load']:6} {row['config']:20} {row['level']:>6g} {unit:13} {row['rps']:8.0f} req/s  "
          f"p50 {row['p50_ms']:8.2f} ms  p99 {row['p99_ms']:8.2f} ms  mean batch {row['mean_batch']}  "
          f"errors {row['errors']}", flush=True)  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
