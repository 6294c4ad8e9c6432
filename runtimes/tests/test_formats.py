"""Model format detection and adapter choice: every suffix, XGBoost JSON told apart from other JSON, model.py
meaning custom, and clear errors for an empty, missing or mixed directory."""

from __future__ import annotations

import pathlib

import pytest
from modelplane.runtime import errors, formats


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"model.joblib": b""}, "sklearn"),
        ({"model.pkl": b""}, "sklearn"),
        ({"model.ubj": b""}, "xgboost"),
        ({"model.bst": b""}, "xgboost"),
        ({"model.json": b'{"learner": {}}'}, "xgboost"),
        ({"model.txt": b""}, "lightgbm"),
        ({"model.onnx": b""}, "onnx"),
        ({"model.pt": b""}, "pytorch"),
        ({"model.py": b"", "weights.joblib": b""}, "custom"),
        ({"model.joblib": b"", "config.json": b'{"a": 1}', "README.md": b""}, "sklearn"),
    ],
    ids=lambda value: value if isinstance(value, str) else ",".join(value),
)
def test_detect(tmp_path: pathlib.Path, files: dict[str, bytes], expected: str) -> None:
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    assert formats.detect(tmp_path) == expected


def test_detect_errors(tmp_path: pathlib.Path) -> None:
    with pytest.raises(errors.ModelLoadError, match="does not exist"):
        formats.detect(tmp_path / "missing")
    (tmp_path / "notes.md").write_text("x")
    with pytest.raises(errors.ModelLoadError, match=r"no model file recognised .* pass --model_format"):
        formats.detect(tmp_path)
    (tmp_path / "a.joblib").write_bytes(b"")
    (tmp_path / "b.onnx").write_bytes(b"")
    with pytest.raises(errors.ModelLoadError, match=r"several formats \(onnx, sklearn\)"):
        formats.detect(tmp_path)


def test_build_picks_the_adapter(tmp_path: pathlib.Path) -> None:
    item = formats.build(name="m", model_dir=tmp_path, model_format="lightgbm", predictor=None)
    assert item.platform == "lightgbm"
    assert not item.ready
    with pytest.raises(errors.ModelLoadError, match="unknown model format 'pmml'"):
        formats.build(name="m", model_dir=tmp_path, model_format="pmml", predictor=None)
