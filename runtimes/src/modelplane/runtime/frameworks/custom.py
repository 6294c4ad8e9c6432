"""User models: a `model.py` in the model directory defining one subclass of `modelplane.runtime.model.Model`.

The file is imported as a module (it is code: serve only directories you trust). The class is built with the
server's model name, the directory and, for transformers, the predictor client, then `load()` runs as for any model.
"""

from __future__ import annotations

import importlib.util
import inspect
import pathlib
import sys

from modelplane.runtime import errors, forwarding, model

FILE_NAME = "model.py"


def build(*, name: str, model_dir: pathlib.Path, predictor: forwarding.PredictorClient | None) -> model.Model:
    path = model_dir / FILE_NAME
    if not path.is_file():
        raise errors.ModelLoadError(f"a custom model needs {path}, defining a subclass of modelplane's Model")
    module_name = f"modelplane_user_model_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise errors.ModelLoadError(f"{path} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(module_name, None)
        raise errors.ModelLoadError(f"importing {path} failed: {type(exc).__name__}: {exc}") from exc
    classes = [
        value
        for value in vars(module).values()
        if inspect.isclass(value) and issubclass(value, model.Model) and value.__module__ == module_name
    ]
    if len(classes) != 1:
        found = ", ".join(c.__name__ for c in classes) or "none"
        raise errors.ModelLoadError(
            f"{path} must define exactly one subclass of modelplane.runtime.model.Model; found {found}"
        )
    return classes[0](name=name, model_dir=model_dir, predictor=predictor)
