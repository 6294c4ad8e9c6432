"""Covers devcluster.nginxconf: per-endpoint weights (pure), and the rendered configuration run by a real nginx
(bin/nginx, from hack/install-nginx.sh) on 127.0.0.1 in front of real HTTP backends: Host-based routing, the
404 and 503 answers, prefix semantics, header and prefix rewrites, and a 10%/90% canary split measured over 200
requests."""

from __future__ import annotations

import contextlib
import http.client
import http.server
import json
import pathlib
import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest
from modelplane.devcluster import nginxconf, routes

ROOT = pathlib.Path(__file__).resolve().parents[3]
NGINX = ROOT / "bin" / "nginx"


def backend(service: str, weight: int, *endpoints: str) -> routes.Backend:
    return routes.Backend(service=service, weight=weight, endpoints=tuple(endpoints))


def test_weights_give_each_backend_its_share_across_its_endpoints() -> None:
    weights = nginxconf.server_weights((backend("a", 90, "a1", "a2", "a3"), backend("b", 10, "b1")))
    assert weights == [("a1", 3), ("a2", 3), ("a3", 3), ("b1", 1)]
    assert nginxconf.server_weights((backend("a", 50, "x"), backend("b", 50, "x"))) == [("x", 2)]
    assert nginxconf.server_weights((backend("a", 100), backend("b", 0, "b1"))) == []


def test_render_quotes_paths_and_notes() -> None:
    table = routes.Table(
        hosts={
            "h.example.com": (
                routes.Route(
                    kind="exact",
                    path='/a"b',
                    backends=(backend("s", 1, "1.2.3.4:80"),),
                    source="x",
                ),
            )
        },
        notes=("something skipped",),
    )
    text = nginxconf.render(table, listen=nginxconf.Listen(host="127.0.0.1", port=1, state_dir="/s"))
    assert "# note: something skipped" in text
    assert 'location = "/a\\"b"' in text
    assert "server 1.2.3.4:80 weight=1;" in text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Echo(http.server.BaseHTTPRequestHandler):
    """Answers with the server's name, the path and the headers it got."""

    def do_GET(self) -> None:
        body = json.dumps(
            {
                "name": self.server.name,
                "path": self.path,
                "host": self.headers.get("Host"),  # type: ignore[attr-defined]
                "x": self.headers.get("X-Isvc"),
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def servers() -> Iterator[dict[str, str]]:
    started = {}
    for name in ("main", "canary", "other"):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
        server.name = name  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started[name] = server
    yield {name: f"127.0.0.1:{s.server_address[1]}" for name, s in started.items()}
    for server in started.values():
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def nginx(table: routes.Table, state: pathlib.Path) -> Iterator[int]:
    if not NGINX.exists():
        pytest.fail("bin/nginx is missing: run `make tools` (hack/install-nginx.sh installs Debian's nginx)")
    port = free_port()
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (state / "buffers" / name).mkdir(parents=True, exist_ok=True)
    conf = state / "nginx.conf"
    conf.write_text(
        nginxconf.render(
            table,
            listen=nginxconf.Listen(host="127.0.0.1", port=port, state_dir=str(state)),
        )
    )
    subprocess.run([str(NGINX), "-t", "-q", "-p", str(state), "-c", str(conf)], check=True)
    process = subprocess.Popen([str(NGINX), "-p", str(state), "-c", str(conf)])
    try:
        deadline = time.monotonic() + 10
        while True:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", port), timeout=0.2),
            ):
                break
            if time.monotonic() > deadline or process.poll() is not None:
                log = state / "error.log"
                pytest.fail(f"nginx did not start: {log.read_text() if log.exists() else ''}")
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def get(port: int, host: str, path: str) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers={"Host": host})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_real_nginx_routes_by_host_and_path(servers: dict[str, str], tmp_path: pathlib.Path) -> None:
    table = routes.Table(
        hosts={
            "iris.ns.example.com": (
                routes.Route(
                    kind="prefix",
                    path="/v1",
                    backends=(backend("ns/main", 100, servers["main"]),),
                    source="a",
                    set_headers=(("X-Isvc", "iris"),),
                ),
                routes.Route(
                    kind="prefix",
                    path="/old",
                    backends=(backend("ns/main", 100, servers["main"]),),
                    source="a",
                    prefix_rewrite="/new",
                    host_rewrite="iris-predictor.ns.svc.cluster.local",
                ),
                routes.Route(
                    kind="prefix",
                    path="/down",
                    backends=(
                        routes.Backend(
                            service="ns/gone",
                            weight=100,
                            endpoints=(),
                            note="Service ns/gone has no ready endpoints",
                        ),
                    ),
                    source="a",
                ),
            ),
            "other.ns.example.com": (
                routes.Route(
                    kind="prefix",
                    path="/",
                    backends=(backend("ns/other", 1, servers["other"]),),
                    source="b",
                ),
            ),
        },
        notes=(),
    )
    with nginx(table, tmp_path) as port:
        status, body = get(port, "iris.ns.example.com", "/v1/models/iris")
        assert (status, body["name"], body["host"], body["x"]) == (
            200,
            "main",
            "iris.ns.example.com",
            "iris",
        )
        assert get(port, "other.ns.example.com:8088", "/anything")[1]["name"] == "other"
        status, body = get(port, "iris.ns.example.com", "/old/x?y=1")
        assert (status, body["path"], body["host"]) == (
            200,
            "/new/x?y=1",
            "iris-predictor.ns.svc.cluster.local",
        )
        status, body = get(port, "iris.ns.example.com", "/v1x")
        assert status == 404
        assert "no route for this path" in body["error"]
        status, body = get(port, "iris.ns.example.com", "/down")
        assert status == 503
        assert "Service ns/gone has no ready endpoints" in body["error"]
        status, body = get(port, "unknown.example.com", "/")
        assert status == 404
        assert "no Ingress, HTTPRoute or VirtualService routes this host" in body["error"]


def test_real_nginx_splits_a_canary_by_weight_over_200_requests(
    servers: dict[str, str], tmp_path: pathlib.Path
) -> None:
    split = (
        backend("ns/main", 90, servers["main"]),
        backend("ns/canary", 10, servers["canary"]),
    )
    table = routes.Table(
        hosts={"iris.ns.example.com": (routes.Route(kind="prefix", path="/", backends=split, source="c"),)},
        notes=(),
    )
    with nginx(table, tmp_path) as port:
        counts = {"main": 0, "canary": 0}
        for _ in range(200):
            status, body = get(port, "iris.ns.example.com", "/v1/models/iris")
            assert status == 200
            counts[body["name"]] += 1
    share = counts["canary"] / 200
    assert 0.07 <= share <= 0.13, counts
