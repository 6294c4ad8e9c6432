"""The model repository: several models, readiness per model (503 while loading, the reason after a failed load),
load through the loader at run time (with the load's source passed on), reload replacing a model only once the new
one is ready, unload (and the loader's discard after it), and server readiness following the models the server was
started with only: a later load that fails leaves the server ready. On a server of several worker processes,
readiness also waits for the peers, and loads and unloads at run time are refused with the reason."""

from __future__ import annotations

import asyncio
import threading

import pytest
from modelplane.runtime import errors, messages, model, repository


class Slow(model.Model):
    def __init__(self, name: str, release: threading.Event, fail: bool = False) -> None:
        super().__init__(name=name)
        self.release = release
        self.fail = fail

    def load(self) -> None:
        self.release.wait(timeout=10)
        if self.fail:
            raise RuntimeError("weights are corrupt")
        self.ready = True


def test_readiness_follows_loading() -> None:
    async def run() -> None:
        release = threading.Event()
        models = repository.ModelRepository(loader=lambda name, source: Slow(name, release))
        loading = asyncio.ensure_future(models.load("a"))
        await asyncio.sleep(0.05)
        assert models.names() == ["a"]
        assert not models.is_ready("a")
        with pytest.raises(errors.ModelNotReady, match="'a' is not ready"):
            models.get_ready("a")
        release.set()
        await loading
        assert models.get_ready("a").name == "a"
        assert models.all_ready()

    asyncio.run(run())


def test_failed_load_keeps_the_reason() -> None:
    async def run() -> None:
        release = threading.Event()
        release.set()
        models = repository.ModelRepository(loader=lambda name, source: Slow(name, release, fail=True))
        with pytest.raises(errors.ModelLoadError, match="weights are corrupt"):
            await models.load("bad")
        assert not models.is_ready("bad")
        assert not models.all_ready()
        with pytest.raises(errors.ModelNotReady, match="loading failed: RuntimeError: weights are corrupt"):
            models.get_ready("bad")
        await models.unload("bad")
        with pytest.raises(errors.ModelNotFound):
            models.get("bad")

    asyncio.run(run())


def test_reload_keeps_serving_the_old_model_until_the_new_one_is_ready() -> None:
    async def run() -> None:
        first_release, second_release = threading.Event(), threading.Event()
        first_release.set()
        releases = iter([first_release, second_release])
        models = repository.ModelRepository(loader=lambda name, source: Slow(name, next(releases)))
        first = await models.load("m")
        reloading = asyncio.ensure_future(models.load("m"))
        await asyncio.sleep(0.05)
        assert models.get_ready("m") is first
        second_release.set()
        second = await reloading
        assert models.get_ready("m") is second

    asyncio.run(run())


def test_unknown_and_unload() -> None:
    async def run() -> None:
        models = repository.ModelRepository()
        with pytest.raises(errors.ModelNotFound, match="'x' is not in this server's model repository"):
            models.get_ready("x")
        with pytest.raises(errors.ModelNotFound):
            await models.unload("x")
        with pytest.raises(errors.InvalidInput, match="without a model directory"):
            await models.load("x")
        item = model.Model(name="y")
        await models.load("y", item=item)
        assert models.names() == ["y"]
        await models.unload("y")
        assert models.names() == []

    asyncio.run(run())


def test_loading_an_unknown_name_leaves_no_trace() -> None:
    async def run() -> None:
        def loader(name: str, source: messages.ModelSource | None) -> model.Model:
            raise errors.ModelNotFound(name)

        models = repository.ModelRepository(loader=loader)
        with pytest.raises(errors.ModelNotFound):
            await models.load("ghost")
        assert models.names() == []
        assert "ghost" not in models

    asyncio.run(run())


def test_the_source_reaches_the_loader_and_unload_discards() -> None:
    async def run() -> None:
        seen: list[tuple[str, messages.ModelSource | None]] = []
        discarded: list[str] = []

        def loader(name: str, source: messages.ModelSource | None) -> model.Model:
            seen.append((name, source))
            return model.Model(name=name)

        models = repository.ModelRepository(loader=loader, discard=discarded.append)
        source = messages.ModelSource(storage_uri="s3://b/m", model_format="sklearn")
        await models.load("m", source=source)
        assert seen == [("m", source)]
        assert discarded == []
        await models.unload("m")
        assert discarded == ["m"]

    asyncio.run(run())


def test_server_readiness_follows_the_essential_models_only() -> None:
    async def run() -> None:
        release = threading.Event()
        release.set()

        def loader(name: str, source: messages.ModelSource | None) -> model.Model:
            return Slow(name, release, fail=name == "broken")

        models = repository.ModelRepository(loader=loader, essential=["main"])
        assert not models.all_ready()
        await models.load("main")
        assert models.all_ready()
        with pytest.raises(errors.ModelLoadError, match="weights are corrupt"):
            await models.load("broken")
        assert not models.is_ready("broken")
        assert models.all_ready()
        assert repository.ModelRepository(loader=loader, essential=[]).all_ready()
        failing = repository.ModelRepository(loader=loader, essential=["broken"])
        with pytest.raises(errors.ModelLoadError):
            await failing.load("broken")
        assert not failing.all_ready()

    asyncio.run(run())


def test_worker_of_several_waits_for_its_peers_and_refuses_run_time_changes() -> None:
    async def run() -> None:
        release = threading.Event()
        release.set()
        peers_started = [False]
        models = repository.ModelRepository(
            loader=lambda name, source: Slow(name, release),
            essential=["a"],
            peers_started=lambda: peers_started[0],
            fixed="this server runs 2 worker processes",
        )
        await models.load("a")
        assert models.is_ready("a")
        assert not models.all_ready()
        peers_started[0] = True
        assert models.all_ready()
        with pytest.raises(errors.Conflict, match="cannot load model 'b': this server runs 2 worker processes"):
            await models.load("b", at_run_time=True)
        with pytest.raises(errors.Conflict, match="cannot unload model 'a'"):
            await models.unload("a")
        assert models.names() == ["a"]

    asyncio.run(run())
