"""The model repository: the models one server holds, loaded and unloaded at run time, each with its readiness.

A model is in the repository from the moment its load starts; until `load()` returns it answers 503 (not ready),
and if loading fails the reason is kept and shown. Loading runs in a worker thread so the server keeps answering
health checks and other models meanwhile. `loader` builds an (unloaded) model object from a name and the load's
`ModelSource` (fetching its files first when the source names a storage URI); `discard` removes what the loader
wrote for a model once it is unloaded. The server passes `loading.ModelLoader`.

The server is ready when every model it was started with (`essential`) is ready: a model loaded later through the
repository API has its own readiness, and one that fails to load never makes the whole server unready. Without an
`essential` set, every model counts and at least one must be there. A server of several worker processes also
waits for its peers (`peers_started`), and refuses loads and unloads at run time with the reason in `fixed`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable

from modelplane.runtime import errors, messages, model

log = logging.getLogger(__name__)

Loader = Callable[[str, messages.ModelSource | None], model.Model]


class ModelRepository:
    def __init__(
        self,
        *,
        loader: Loader | None = None,
        discard: Callable[[str], None] | None = None,
        essential: Iterable[str] | None = None,
        peers_started: Callable[[], bool] | None = None,
        fixed: str | None = None,
    ) -> None:
        self._loader = loader
        self._discard = discard
        self._essential = frozenset(essential) if essential is not None else None
        self._peers_started = peers_started
        self._fixed = fixed
        self._models: dict[str, model.Model] = {}
        self._failures: dict[str, str] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def names(self) -> list[str]:
        return sorted(self._models.keys() | self._failures.keys())

    def __contains__(self, name: str) -> bool:
        return name in self._models or name in self._failures

    def add(self, item: model.Model) -> None:
        """Put an already built model in the repository (loaded or not)."""
        self._failures.pop(item.name, None)
        self._models[item.name] = item

    def get(self, name: str) -> model.Model:
        """The model, ready or not; ModelNotFound when absent."""
        found = self._models.get(name)
        if found is None:
            if name in self._failures:
                raise errors.ModelNotReady(name, f"loading failed: {self._failures[name]}")
            raise errors.ModelNotFound(name)
        return found

    def get_ready(self, name: str) -> model.Model:
        """The model if it is ready; ModelNotFound or ModelNotReady otherwise."""
        found = self._models.get(name)
        if found is not None and found.ready:
            return found
        if found is None and name not in self._failures:
            raise errors.ModelNotFound(name)
        failure = self._failures.get(name)
        raise errors.ModelNotReady(name, f"loading failed: {failure}" if failure else "")

    def is_ready(self, name: str) -> bool:
        found = self._models.get(name)
        if found is None:
            if name in self._failures:
                return False
            raise errors.ModelNotFound(name)
        return found.ready

    def all_ready(self) -> bool:
        """Whether the server is ready: its essential models are (or, without that set, every model is)."""
        if self._peers_started is not None and not self._peers_started():
            return False
        if self._essential is not None:
            return all(name in self._models and self._models[name].ready for name in self._essential)
        return bool(self._models) and not self._failures and all(item.ready for item in self._models.values())

    async def load(
        self,
        name: str,
        *,
        item: model.Model | None = None,
        source: messages.ModelSource | None = None,
        at_run_time: bool = False,
    ) -> model.Model:
        """Build (with the loader, from `source`) and load a model; reloading a loaded model replaces it once the new
        one is ready. `at_run_time`: asked for through the repository API rather than at startup."""
        if at_run_time and self._fixed is not None:
            raise errors.Conflict(f"cannot load model '{name}': {self._fixed}")
        lock = self._locks.setdefault(name, asyncio.Lock())
        async with lock:
            if item is None:
                if self._loader is None:
                    raise errors.InvalidInput("this server was started without a model directory to load models from")
                loader = self._loader
                try:
                    item = await asyncio.to_thread(loader, name, source)
                except errors.ModelLoadError as exc:
                    # The model exists but cannot be built: remember why, readiness reports it.
                    self._failures[name] = exc.message
                    raise
            if name not in self._models:
                self._models[name] = item
            try:
                await asyncio.to_thread(item.load)
            except Exception as exc:
                message = exc.message if isinstance(exc, errors.ModelServerError) else f"{type(exc).__name__}: {exc}"
                log.error("model load failed", extra={"model": name, "error": message})
                if self._models.get(name) is item:
                    del self._models[name]
                self._failures[name] = message
                raise errors.ModelLoadError(f"model '{name}' failed to load: {message}") from exc
            item.ready = True
            self._failures.pop(name, None)
            self._models[name] = item
            log.info("model loaded", extra={"model": name})
            return item

    async def unload(self, name: str) -> None:
        if self._fixed is not None:
            raise errors.Conflict(f"cannot unload model '{name}': {self._fixed}")
        lock = self._locks.setdefault(name, asyncio.Lock())
        async with lock:
            found = self._models.pop(name, None)
            failed = self._failures.pop(name, None)
            if found is None and failed is None:
                raise errors.ModelNotFound(name)
            if found is not None:
                await asyncio.to_thread(found.unload)
            if self._discard is not None:
                await asyncio.to_thread(self._discard, name)
            log.info("model unloaded", extra={"model": name})
