"""Finding a model's file in its directory: exactly one file with one of the format's suffixes."""

from __future__ import annotations

import pathlib

from modelplane.runtime import errors


def find_one(model_dir: pathlib.Path | None, *, suffixes: tuple[str, ...], format_name: str) -> pathlib.Path:
    if model_dir is None:
        raise errors.ModelLoadError(f"a {format_name} model needs --model_dir")
    if model_dir.is_file():
        if model_dir.suffix in suffixes:
            return model_dir
        raise errors.ModelLoadError(f"{model_dir} is not a {format_name} model file ({', '.join(suffixes)})")
    if not model_dir.is_dir():
        raise errors.ModelLoadError(f"model directory {model_dir} does not exist")
    found = sorted(path for path in model_dir.iterdir() if path.is_file() and path.suffix in suffixes)
    if not found:
        raise errors.ModelLoadError(
            f"no {format_name} model file ({', '.join(suffixes)}) in {model_dir}; it holds "
            f"{sorted(path.name for path in model_dir.iterdir())}"
        )
    if len(found) > 1:
        raise errors.ModelLoadError(
            f"{model_dir} holds several {format_name} model files ({', '.join(p.name for p in found)}); keep one"
        )
    return found[0]
