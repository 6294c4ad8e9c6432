"""Side-by-side throughput/latency benchmark of the model server (not a test).

Serves scikit-learn iris (LogisticRegression) and sends 2-instance requests with wrk: the server pinned to core 0
with taskset, wrk on core 1. Runs Modelplane's server (V1 and V2 at concurrency 8, concurrency 64 with adaptive
batching, concurrency 1 with batching off and on, RSS after load), KServe 0.21's ModelServer (V1, V2 at 8) and
MLServer 1.7.1 (V2 at 8, default settings) in the same run, each peer from its own virtualenv under .work/peers/.
Prints a table with ratios and writes the results as JSON, a Markdown table and a PNG plot.

    .venv/bin/python runtimes/benchmarks/runtime_bench.py --duration 10 --out .work/bench

Make the peers' virtualenvs first (see docs/benchmarks.md). Everything binds 127.0.0.1.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pathlib
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
HERE = pathlib.Path(__file__).resolve().parent
INSTANCES = [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]
V1_BODY = json.dumps({"instances": INSTANCES})
V2_BODY = json.dumps(
    {
        "inputs": [
            {
                "name": "input-0",
                "shape": [2, 4],
                "datatype": "FP64",
                "data": [x for r in INSTANCES for x in r],
            }
        ]
    }
)


@dataclasses.dataclass
class Result:
    server: str
    scenario: str
    concurrency: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    rss_mb: float | None = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before {url} was ready")
        try:
            with urllib.request.urlopen(url, timeout=1) as reply:  # noqa: S310 (127.0.0.1 only)
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout_s} s")


def tree(pid: int) -> list[int]:
    """A process and all its descendants (MLServer runs inference in child processes; `--workers` serves from
    several)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            pending.extend(int(c) for c in pathlib.Path(f"/proc/{current}/task/{current}/children").read_text().split())
        except OSError:
            continue
    return found


def tree_rss_mb(pid: int) -> float:
    """RSS of a process and all its descendants."""
    total = 0
    for current in tree(pid):
        try:
            status = pathlib.Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
        except (OSError, AttributeError):
            continue
    return total / 1024


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process and all its descendants have used so far."""
    total = 0
    for current in tree(pid):
        try:
            fields = pathlib.Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def lua(body: str, directory: pathlib.Path, name: str) -> pathlib.Path:
    path = directory / f"{name}.lua"
    escaped = body.replace("\\", "\\\\").replace('"', '\\"')
    path.write_text(
        f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = "{escaped}"\n'
        "function response(status, headers, body)\n  if status ~= 200 then wrk.thread:set('bad', 1) end\nend\n"
    )
    return path


def parse_latency(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(*, url: str, script: pathlib.Path, concurrency: int, duration: int) -> tuple[float, float, float, int]:
    command = [
        "taskset", "-c", "1", "wrk", "-t1", f"-c{concurrency}", f"-d{duration}s", "--latency", "-s", str(script), url,
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = parse_latency(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = parse_latency(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    return rps, p50, p99, errors


class Launch:
    def __init__(
        self,
        command: list[str],
        ready_url: str,
        log: pathlib.Path,
        cwd: pathlib.Path | None = None,
    ) -> None:
        self.log = log.open("wb")
        self.process = subprocess.Popen(
            ["taskset", "-c", "0", *command], stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        wait_ready(ready_url, self.process)

    def stop(self) -> None:
        stop_group(self.process)
        self.log.close()


def batches(url: str, model: str) -> tuple[float, float]:
    """(predict calls, rows) of `model` so far, from the server's batch-size histogram (zeros with batching off)."""
    with urllib.request.urlopen(url + "/metrics", timeout=10) as reply:  # noqa: S310 (127.0.0.1 only)
        text = reply.read().decode()
    found = []
    for kind in ("count", "sum"):
        match = re.search(rf'^modelplane_batch_size_{kind}{{model="{model}"}} (\S+)$', text, re.M)
        found.append(float(match.group(1)) if match else 0.0)
    return found[0], found[1]


def mean_batch(url: str, model: str, before: tuple[float, float]) -> float | None:
    """Rows per predict call of `model` since `before` (a `batches` reading); None when no call was batched."""
    calls, rows = batches(url, model)
    return round((rows - before[1]) / (calls - before[0]), 2) if calls > before[0] else None


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop a server started in its own session: SIGTERM to its process group, SIGKILL after 20 s."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def measure(
    results: list[Result],
    *,
    server: str,
    scenario: str,
    url: str,
    script: pathlib.Path,
    concurrency: int,
    duration: int,
    launch: Launch | None = None,
) -> Result:
    wrk(url=url, script=script, concurrency=concurrency, duration=2)  # warm-up
    rps, p50, p99, errors = wrk(url=url, script=script, concurrency=concurrency, duration=duration)
    result = Result(server, scenario, concurrency, rps, p50, p99, errors)
    if launch is not None:
        result.rss_mb = round(tree_rss_mb(launch.process.pid), 1)
    results.append(result)
    print(f"{server:10} {scenario:28} c={concurrency:<3} {rps:9.0f} req/s  p50 {p50:7.3f} ms  p99 {p99:7.3f} ms"
          f"  errors {errors}" + (f"  rss {result.rss_mb} MB" if result.rss_mb else ""), flush=True)  # fmt: skip
    return result


def prepare_models(work: pathlib.Path) -> pathlib.Path:
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    directory = work / "iris"
    directory.mkdir(parents=True, exist_ok=True)
    joblib.dump(
        LogisticRegression(max_iter=1000).fit(*load_iris(return_X_y=True)),
        directory / "model.joblib",
    )
    (directory / "model-settings.json").write_text(
        json.dumps({"name": "iris", "implementation": "mlserver_sklearn.SKLearnModel",
                    "parameters": {"uri": "./model.joblib", "version": "v1"}})
    )  # fmt: skip
    return directory


def run_ours(
    results: list[Result],
    *,
    model_dir: pathlib.Path,
    scripts: dict[str, pathlib.Path],
    work: pathlib.Path,
    duration: int,
) -> None:
    """Two servers, batching off and on, up at once so that the concurrency-1 runs can alternate between them."""
    python = str(ROOT / ".venv" / "bin" / "python")
    launches: dict[bool, tuple[Launch, str]] = {}
    try:
        for batching in (False, True):
            port = free_port()
            command = [python, "-m", "modelplane.runtime", "--model_name", "iris", "--model_dir", str(model_dir),
                       "--http_port", str(port), "--grpc_port", str(free_port()), "--log_level", "warning"]  # fmt: skip
            if batching:
                command += ["--max_batch_size", "64", "--max_latency_ms", "20"]
            launch = Launch(
                command, ready_url=f"http://127.0.0.1:{port}/v2/health/ready", log=work / f"modelplane-{batching}.log"
            )
            launches[batching] = (launch, f"http://127.0.0.1:{port}")
        (off, off_url), (on, on_url) = launches[False], launches[True]
        v1, v2 = "/v1/models/iris:predict", "/v2/models/iris/infer"
        measure(results, server="modelplane", scenario="V1", url=off_url + v1, script=scripts["v1"],
                concurrency=8, duration=duration, launch=off)  # fmt: skip
        measure(results, server="modelplane", scenario="V2", url=off_url + v2, script=scripts["v2"],
                concurrency=8, duration=duration, launch=off)  # fmt: skip
        measure(results, server="modelplane", scenario="V1 batching on", url=on_url + v1, script=scripts["v1"],
                concurrency=64, duration=duration, launch=on)  # fmt: skip
        measure(results, server="modelplane", scenario="V2 batching on", url=on_url + v2, script=scripts["v2"],
                concurrency=64, duration=duration, launch=on)  # fmt: skip
        for _ in range(2):  # alternate, so that both see the same machine
            measure(results, server="modelplane", scenario="V1 batching off", url=off_url + v1, script=scripts["v1"],
                    concurrency=1, duration=duration, launch=off)  # fmt: skip
            measure(results, server="modelplane", scenario="V1 batching on", url=on_url + v1, script=scripts["v1"],
                    concurrency=1, duration=duration, launch=on)  # fmt: skip
    finally:
        for launch, _ in launches.values():
            launch.stop()


def run_kserve(results: list[Result], *, model_dir: pathlib.Path, scripts: dict[str, pathlib.Path],
               work: pathlib.Path, duration: int, venv: pathlib.Path) -> None:  # fmt: skip
    port = free_port()
    command = [
        str(venv / "bin" / "python"),
        str(HERE / "kserve_iris.py"),
        str(model_dir / "model.joblib"),
        str(port),
    ]
    launch = Launch(command, ready_url=f"http://127.0.0.1:{port}/v2/health/ready", log=work / "kserve.log")
    base = f"http://127.0.0.1:{port}"
    try:
        measure(results, server="kserve", scenario="V1", url=base + "/v1/models/iris:predict", script=scripts["v1"],
                concurrency=8, duration=duration, launch=launch)  # fmt: skip
        measure(results, server="kserve", scenario="V2", url=base + "/v2/models/iris/infer", script=scripts["v2"],
                concurrency=8, duration=duration, launch=launch)  # fmt: skip
    finally:
        launch.stop()


def run_mlserver(results: list[Result], *, model_dir: pathlib.Path, scripts: dict[str, pathlib.Path],
                 work: pathlib.Path, duration: int, venv: pathlib.Path) -> None:  # fmt: skip
    port, grpc_port, metrics_port = free_port(), free_port(), free_port()
    root = work / "mlserver"
    root.mkdir(exist_ok=True)
    (root / "settings.json").write_text(json.dumps(
        {"host": "127.0.0.1", "http_port": port, "grpc_port": grpc_port, "metrics_port": metrics_port}
    ))  # fmt: skip
    iris = root / "iris"
    iris.mkdir(exist_ok=True)
    for name in ("model.joblib", "model-settings.json"):
        (iris / name).write_bytes((model_dir / name).read_bytes())
    launch = Launch(
        [str(venv / "bin" / "mlserver"), "start", str(root)],
        ready_url=f"http://127.0.0.1:{port}/v2/models/iris/ready",
        log=work / "mlserver.log",
    )
    try:
        measure(results, server="mlserver", scenario="V2", url=f"http://127.0.0.1:{port}/v2/models/iris/infer",
                script=scripts["v2"], concurrency=8, duration=duration, launch=launch)  # fmt: skip
    finally:
        launch.stop()


def find(results: list[Result], server: str, scenario: str, concurrency: int) -> Result | None:
    for result in results:
        if (result.server, result.scenario, result.concurrency) == (
            server,
            scenario,
            concurrency,
        ):
            return result
    return None


def best_rounds(every: list[Result]) -> list[Result]:
    """Per case, the round with the most requests/s (the one least disturbed by other work on the machine)."""
    best: dict[tuple[str, str, int], Result] = {}
    for result in every:
        key = (result.server, result.scenario, result.concurrency)
        if key not in best or result.rps > best[key].rps:
            best[key] = result
    return list(best.values())


def summary(results: list[Result]) -> list[str]:
    lines = []
    for protocol in ("V1", "V2"):
        ours = find(results, "modelplane", protocol, 8)
        for peer in ("kserve", "mlserver"):
            theirs = find(results, peer, protocol, 8)
            if ours and theirs:
                lines.append(
                    f"{protocol} c=8 vs {peer}: {ours.rps / theirs.rps:.2f}x req/s; "
                    f"p99 {ours.p99_ms:.2f} ms vs {theirs.p99_ms:.2f} ms"
                )
    off, on = (
        find(results, "modelplane", "V1 batching off", 1),
        find(results, "modelplane", "V1 batching on", 1),
    )
    if off and on:
        lines.append(f"c=1 p50 batching on - off: {on.p50_ms - off.p50_ms:+.3f} ms")
    return lines


def plot(results: list[Result], path: pathlib.Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{r.server} {r.scenario} c={r.concurrency}" for r in results]
    figure, (left, right) = plt.subplots(1, 2, figsize=(14, 5))
    left.bar(range(len(results)), [r.rps for r in results], color="tab:blue")
    left.set_xticks(range(len(results)), labels, fontsize=8, rotation=35, ha="right")
    left.set_ylabel("requests/s (one core)")
    left.set_title("Throughput, sklearn iris, 2-instance requests")
    right.bar(range(len(results)), [r.p99_ms for r in results], color="tab:red")
    right.set_xticks(range(len(results)), labels, fontsize=8, rotation=35, ha="right")
    right.set_ylabel("p99 latency (ms)")
    right.set_title("p99 latency")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main() -> int:
    parser = argparse.ArgumentParser(description="Side-by-side model server benchmark (sklearn iris, wrk).")
    parser.add_argument(
        "--duration",
        type=int,
        default=10,
        help="seconds per measurement (after a 2 s warm-up)",
    )
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / ".work" / "bench")
    parser.add_argument("--peers", type=pathlib.Path, default=ROOT / ".work" / "peers")
    parser.add_argument("--only", choices=("modelplane", "kserve", "mlserver"), action="append")
    parser.add_argument("--rounds", type=int, default=1, help="repeat the whole suite; report each case's best round")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    work = pathlib.Path(tempfile.mkdtemp(prefix="bench-", dir=args.out))
    model_dir = prepare_models(work)
    scripts = {"v1": lua(V1_BODY, work, "v1"), "v2": lua(V2_BODY, work, "v2")}
    only = set(args.only or ("modelplane", "kserve", "mlserver"))
    load_before = os.getloadavg()
    every: list[Result] = []
    for _ in range(args.rounds):
        if "modelplane" in only:
            run_ours(every, model_dir=model_dir, scripts=scripts, work=work, duration=args.duration)
        if "kserve" in only:
            run_kserve(every, model_dir=model_dir, scripts=scripts, work=work, duration=args.duration,
                       venv=args.peers / "kserve-0.21")  # fmt: skip
        if "mlserver" in only:
            run_mlserver(every, model_dir=model_dir, scripts=scripts, work=work, duration=args.duration,
                         venv=args.peers / "mlserver-1.7.1")  # fmt: skip
    results = best_rounds(every)
    lines = summary(results)
    print("\n".join(lines))
    machine = {
        "cpu": next(
            (
                line.split(":", 1)[1].strip()
                for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        ),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }
    report = {"machine": machine, "duration_s": args.duration, "command": " ".join(sys.argv),
              "results": [dataclasses.asdict(r) for r in results], "rounds": [dataclasses.asdict(r) for r in every],
              "summary": lines}  # fmt: skip
    (args.out / "runtime-bench.json").write_text(json.dumps(report, indent=2))
    plot(results, args.out / "runtime-bench.png")
    print(f"wrote {args.out / 'runtime-bench.json'} and {args.out / 'runtime-bench.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
