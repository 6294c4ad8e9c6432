"""Custom models: a `model.py` written here is imported, its one Model subclass built with the server's name and
directory, loaded and used; files with no subclass, two subclasses, or an import error are clear load errors."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest
from modelplane.runtime import errors, messages, model, tensors
from modelplane.runtime.frameworks import custom

GOOD = """
import numpy as np
from modelplane.runtime import model


class Adder(model.Model):
    def load(self):
        self.offset = float((self.model_dir / "offset.txt").read_text())
        self.ready = True

    def predict(self, request):
        return request.inputs[0].data + self.offset
"""


def test_user_model(tmp_path: pathlib.Path) -> None:
    (tmp_path / "model.py").write_text(GOOD)
    (tmp_path / "offset.txt").write_text("10")
    item = custom.build(name="adder", model_dir=tmp_path, predictor=None)
    assert isinstance(item, model.Model)
    assert item.name == "adder"
    item.load()
    request = messages.InferRequest(
        model_name="adder", inputs=[tensors.Tensor(name="x", datatype="FP64", data=np.array([[1.0, 2.0]]))]
    )
    assert item.predict(request).tolist() == [[11.0, 12.0]]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x = 1\n", "exactly one subclass"),
        (
            "from modelplane.runtime import model\nclass A(model.Model): pass\nclass B(model.Model): pass\n",
            "found A, B",
        ),
        ("raise RuntimeError('boom')\n", "importing .* failed: RuntimeError: boom"),
    ],
    ids=["none", "two", "import-error"],
)
def test_bad_files(tmp_path: pathlib.Path, source: str, message: str) -> None:
    (tmp_path / "model.py").write_text(source)
    with pytest.raises(errors.ModelLoadError, match=message):
        custom.build(name="m", model_dir=tmp_path, predictor=None)


def test_missing_file(tmp_path: pathlib.Path) -> None:
    with pytest.raises(errors.ModelLoadError, match=r"needs .*model\.py"):
        custom.build(name="m", model_dir=tmp_path, predictor=None)
