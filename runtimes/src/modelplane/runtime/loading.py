"""Building models by name for the repository: from --model_dir, from its folders, or fetched from a storage URI.

The served model (`--model_name`) is built from `--model_dir` itself, any other name from `<model_dir>/<name>`. A
load that names a `storage_uri` (the repository extension's load parameters: what the controller sends for a
TrainedModel) first fetches it with the storage initializer's own code, reading the same credentials and cache
variables from the server's environment, into `<model_dir>/<name>`, and records the URI in `<model_dir>/.<name>.source`,
so a second load of the same URI does not download again. Another URI is fetched into a fresh folder that replaces
the old one only once it is complete. Unloading a fetched model removes its folder. Started without
`--model_format`, a `--model_dir` that holds only folders (or nothing) is a model repository, as KServe's
multi-model servers have it: each folder is a model, loaded at start under its name, and the server is ready
without any.
"""

from __future__ import annotations

import io
import logging
import pathlib
import shutil
from collections.abc import Mapping

from modelplane.runtime import errors, formats, forwarding, messages, model, settings
from modelplane.runtime.storage import downloading
from modelplane.runtime.storage import errors as storage_errors

log = logging.getLogger(__name__)

SOURCE_SUFFIX = ".source"


def is_repository(directory: pathlib.Path) -> bool:
    """True for a directory holding no visible file, only folders (or nothing): one model per folder."""
    if not directory.is_dir():
        return False
    return not any(path.is_file() for path in directory.iterdir() if not path.name.startswith("."))


def repository_names(directory: pathlib.Path) -> list[str]:
    """The models of a repository directory: its visible folders."""
    return sorted(path.name for path in directory.iterdir() if path.is_dir() and not path.name.startswith("."))


class ModelLoader:
    """The repository's loader (`loader(name, source)`) and what unloading removes (`discard(name)`)."""

    def __init__(
        self,
        *,
        config: settings.Settings,
        predictor: forwarding.PredictorClient | None,
        env: Mapping[str, str],
    ) -> None:
        self._config = config
        self._predictor = predictor
        self._env = env
        self.repository_layout = (
            config.proxy_upstream is None
            and config.model_format is None
            and config.model_dir is not None
            and is_repository(config.model_dir)
        )

    def startup_names(self) -> list[str]:
        """The models the server loads at start (its readiness waits for them)."""
        if self.repository_layout and self._config.model_dir is not None:
            return repository_names(self._config.model_dir)
        return [self._config.model_name]

    def __call__(self, name: str, source: messages.ModelSource | None = None) -> model.Model:
        config = self._config
        source = source or messages.ModelSource()
        if source.model_format is not None and source.model_format not in formats.FORMATS:
            raise errors.InvalidInput(
                f"model_format {source.model_format!r} is not served by this runtime; use one of "
                f"{', '.join(formats.FORMATS)} (or leave it out to detect it from the files)"
            )
        if config.proxy_upstream is not None and name == config.model_name and source.storage_uri is None:
            upstream = forwarding.PredictorClient(url=config.proxy_upstream, protocol=config.predictor_protocol)
            return forwarding.ProxyModel(name=name, predictor=upstream)
        if source.storage_uri is None and name == config.model_name and not self.repository_layout:
            return formats.build(
                name=name,
                model_dir=config.model_dir,
                model_format=source.model_format or config.model_format,
                predictor=self._predictor,
            )
        if config.model_dir is None:
            raise errors.InvalidInput("this server has no --model_dir to load models from")
        if "/" in name or "\\" in name or name.startswith("."):
            raise errors.InvalidInput(f"model name {name!r} must not contain '/' or start with '.'")
        if source.storage_uri is not None:
            directory = self._fetch(name, source.storage_uri)
        else:
            directory = config.model_dir / name
            if not directory.is_dir():
                raise errors.ModelNotFound(name)
        return formats.build(
            name=name, model_dir=directory, model_format=source.model_format, predictor=self._predictor
        )

    def discard(self, name: str) -> None:
        """After an unload: remove the model's folder if this server fetched it (never one it did not write)."""
        root = self._config.model_dir
        if root is None or "/" in name or name.startswith("."):
            return
        marker = root / f".{name}{SOURCE_SUFFIX}"
        if marker.is_file():
            shutil.rmtree(root / name, ignore_errors=True)
            marker.unlink(missing_ok=True)
            log.info("removed the fetched model files", extra={"model": name, "path": str(root / name)})

    def _fetch(self, name: str, uri: str) -> pathlib.Path:
        root = self._config.model_dir
        if root is None or root.is_file():
            raise errors.InvalidInput(f"loading from a storage_uri needs --model_dir to be a directory; it is {root}")
        folder, marker = root / name, root / f".{name}{SOURCE_SUFFIX}"
        if folder.is_dir() and _read(marker) == uri:
            log.info("already fetched; not downloading again", extra={"model": name, "storage_uri": uri})
            return folder
        incoming, old = root / f".{name}.incoming", root / f".{name}.old"
        shutil.rmtree(incoming, ignore_errors=True)
        log.info("fetching", extra={"model": name, "storage_uri": uri, "path": str(folder)})
        try:
            request = downloading.request_from_env(uri=uri, destination=incoming, env=self._env)
            downloading.fetch(request, env=self._env, out=_LogLines(name))
            marker.unlink(missing_ok=True)
            shutil.rmtree(old, ignore_errors=True)
            if folder.exists():
                folder.rename(old)
            incoming.rename(folder)
            marker.write_text(uri)
        except storage_errors.StorageError as exc:
            raise _domain_error(exc, name=name, uri=uri) from None
        except OSError as exc:
            raise errors.ModelLoadError(
                f"fetching {uri} for model '{name}' into {folder} failed: {exc.strerror or exc}"
            ) from None
        finally:
            shutil.rmtree(incoming, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)
        return folder


def _read(marker: pathlib.Path) -> str | None:
    try:
        return marker.read_text()
    except OSError:
        return None


def _domain_error(exc: storage_errors.StorageError, *, name: str, uri: str) -> errors.ModelServerError:
    """Storage errors in the server's own terms: the caller's mistake (400/404), or the fetch failing (500)."""
    text = f"model '{name}': {exc}"
    if isinstance(exc, storage_errors.InvalidUri | storage_errors.InvalidSetting | storage_errors.UnsafeContent):
        return errors.InvalidInput(text)
    if isinstance(exc, storage_errors.SourceNotFound):
        return errors.SourceNotFound(text)
    return errors.ModelLoadError(f"model '{name}': fetching {uri} failed: {exc}")


class _LogLines(io.StringIO):
    """A text stream for the storage code's progress lines: each complete line becomes one structured log record."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self._name = name
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            if line.strip():
                log.info(line.removeprefix("modelplane-storage-init: "), extra={"model": self._name})
        return len(text)
