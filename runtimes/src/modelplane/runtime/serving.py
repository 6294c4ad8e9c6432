"""Running the server: build the repository, data plane and edges from `Settings`, serve HTTP and gRPC together.

Both edges share one uvloop event loop. The servers start first and the model loads in a worker thread, so
liveness answers at once and readiness turns 200 when the model is loaded. SIGTERM/SIGINT stop both servers.
With `--workers N` above 1, `workers.supervise` runs N such servers as processes on one HTTP socket; each is given
its `workers.Worker` and shares metrics and readiness with the others through it.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os

import prometheus_client
import uvicorn
import uvloop
from modelplane.runtime import (
    batching,
    dataplane,
    errors,
    forwarding,
    grpc_serving,
    http_app,
    loading,
    logs,
    metrics,
    repository,
    settings,
    workers,
)
from modelplane.runtime.payloads import delivering
from modelplane.runtime.payloads import settings as payload_settings

log = logging.getLogger(__name__)


def logger_settings(config: settings.Settings) -> payload_settings.LoggerSettings | None:
    """The payload logger's settings for --logger_url (None without one); raises LoggerSettingsError on a bad URL or
    mode."""
    if config.logger_url is None:
        return None
    return payload_settings.LoggerSettings(
        url=config.logger_url,
        mode=payload_settings.LoggerMode.parse(config.logger_mode),
        source=f"http://{config.http_host}:{config.http_port}/",
        inference_service=config.isvc_name or "",
        namespace=config.isvc_namespace or "",
        component=config.component,
    )


def build_payload_logger(
    config: settings.Settings, *, registry: prometheus_client.CollectorRegistry
) -> delivering.PayloadLogger | None:
    """The payload logger for --logger_url (None without one); raises LoggerSettingsError on a bad URL or mode."""
    found = logger_settings(config)
    return delivering.PayloadLogger(found, registry=registry) if found is not None else None


async def serve(
    config: settings.Settings, *, started: asyncio.Event | None = None, worker: workers.Worker | None = None
) -> None:
    peers = worker.peers if worker is not None else None
    sink = metrics.Metrics(peers=peers.snapshots if peers is not None else None)
    predictor = (
        forwarding.PredictorClient(url=config.predictor_host, protocol=config.predictor_protocol)
        if config.predictor_host
        else None
    )
    loader = loading.ModelLoader(config=config, predictor=predictor, env=os.environ)
    startup = loader.startup_names()
    if loader.repository_layout:
        log.info(
            "--model_dir holds only folders: serving each as a model; load more with "
            "POST /v2/repository/models/{name}/load",
            extra={"model_dir": str(config.model_dir), "models": startup},
        )
    models = repository.ModelRepository(
        loader=loader,
        discard=loader.discard,
        essential=startup,
        peers_started=peers.all_started if peers is not None else None,
        fixed=peers.fixed if peers is not None else None,
    )
    batch = (
        batching.BatchSettings(max_batch_size=config.max_batch_size, max_latency_ms=config.max_latency_ms)
        if config.max_batch_size is not None and config.max_batch_size > 1
        else None
    )
    payloads = build_payload_logger(config, registry=sink.registry)
    plane = dataplane.DataPlane(models=models, batch=batch, metrics_sink=sink)
    http_settings = http_app.HttpSettings(max_body_bytes=config.max_body_bytes)
    app = http_app.HttpApp(plane=plane, metrics_sink=sink, settings=http_settings, payloads=payloads)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=config.http_host,
            port=config.http_port,
            http="httptools",
            loop="none",
            lifespan="off",
            access_log=False,
            log_config=None,
            server_header=False,
            date_header=False,
            timeout_keep_alive=75,
            backlog=2048,
        )
    )
    grpc_server = None
    if config.grpc_port:
        service = grpc_serving.InferenceService(
            plane=plane, metrics_sink=sink, settings=http_settings, payloads=payloads
        )
        grpc_server, _ = grpc_serving.build_server(
            service=service,
            host=config.http_host,
            port=config.grpc_port,
            max_message_bytes=config.max_body_bytes,
            reuse_port=worker is not None,
        )
        await grpc_server.start()
    if payloads is not None:
        await payloads.start()
    startup_loads = asyncio.ensure_future(_load(models, startup, peers))
    publishing = asyncio.ensure_future(_publish(sink, peers)) if peers is not None else None
    try:
        if started is not None:
            started.set()
        await server.serve(sockets=[worker.http_socket] if worker is not None else None)
    finally:
        startup_loads.cancel()
        if publishing is not None:
            publishing.cancel()
        if grpc_server is not None:
            await grpc_server.stop(grace=5)
        if payloads is not None:
            await payloads.stop()
        if predictor is not None:
            await predictor.close()


async def _publish(sink: metrics.Metrics, peers: workers.Peers) -> None:
    """Publish this worker's metrics for its peers' scrapes, once a second."""
    while True:
        try:
            peers.publish(sink.snapshot())
        except OSError as exc:
            log.warning("cannot publish this worker's metrics", extra={"error": str(exc)})
        await asyncio.sleep(workers.PUBLISH_INTERVAL_S)


async def _load(models: repository.ModelRepository, names: list[str], peers: workers.Peers | None) -> None:
    failed = False
    for name in names:
        try:
            await models.load(name)
        except errors.ModelServerError as exc:
            log.error("the model did not load; readiness stays 503", extra={"model": name, "error": exc.message})
            failed = True
    if failed:
        return
    if peers is not None:
        peers.mark_started()
    # Everything allocated so far (modules, the model) lives as long as the process: move it out of the garbage
    # collector's sight, so that collections triggered by request traffic scan only request objects. Without this,
    # full collections over the imported modules put ~20 ms stalls into the latency tail under load.
    gc.collect()
    gc.freeze()


def run(config: settings.Settings) -> int:
    """Serve until a signal stops the server; the exit status."""
    if config.workers > 1:
        logger_settings(config)  # a bad --logger_url is reported here, once, not by every worker
        return workers.supervise(config, run_worker)
    uvloop.run(serve(config))
    return 0


def run_worker(config: settings.Settings, worker: workers.Worker) -> None:
    """One worker process of a server started with --workers N (a fresh interpreter: it sets up its own logs)."""
    logs.configure(level=config.log_level)
    uvloop.run(serve(config, worker=worker))
