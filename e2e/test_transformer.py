"""Journey: a transformer in front of a predictor. The transformer is the user's own pre/post-processing
(`model.py`, a `modelplane.runtime.model.Model` with `preprocess`/`postprocess`, the transformer example of
docs/runtime.md) run by the Modelplane runtime image as a custom container; the controller tells it where the
predictor is (`--predictor_host`) and routes the InferenceService's host to it. A V1 request with the iris rows
as strings comes back as species names: the transformer turned the strings into numbers, the scikit-learn
predictor classified them, and the transformer named the classes."""

from __future__ import annotations

TRANSFORMER = """
import numpy as np

from modelplane.runtime import messages, model, tensors

NAMES = ["setosa", "versicolor", "virginica"]


class IrisTransformer(model.Model):
    def preprocess(self, request):
        data = np.asarray([[float(v) for v in row] for row in request.inputs[0].data.tolist()])
        return messages.InferRequest(
            model_name=request.model_name, inputs=[tensors.Tensor.from_array(name="input-0", array=data)]
        )

    def postprocess(self, response, request):
        labels = [NAMES[int(i)] for i in response.outputs[0].data.reshape(-1).tolist()]
        return {"predictions": labels}
"""


def test_transformer_pre_and_post_processes_around_the_predictor(journey, model_repository: str) -> None:
    journey.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "transformer"},
            "data": {"model.py": TRANSFORMER},
        }
    )
    transformer = {
        "containers": [
            {
                "name": "kserve-container",
                "image": "modelplane/runtime:0.1.0",
                "args": [
                    "--model_name=iris",
                    "--model_dir=/mnt/transformer",
                    "--model_format=custom",
                    "--http_port=8080",
                    "--http_host=0.0.0.0",
                ],
                "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                "volumeMounts": [{"name": "code", "mountPath": "/mnt/transformer", "readOnly": True}],
            }
        ],
        "volumes": [{"name": "code", "configMap": {"name": "transformer"}}],
    }
    predictor = {"model": {"modelFormat": {"name": "sklearn"}, "storageUri": f"{model_repository}/iris/model.joblib"}}
    journey.apply(journey.isvc("iris", predictor, transformer=transformer))
    isvc = journey.ready("iris")
    assert set(isvc["status"]["components"]) == {"predictor", "transformer"}
    args = journey.get("deployment", "iris-transformer")["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("--predictor_host") + 1] == f"iris-predictor.{journey.namespace}"

    rows = [["6.8", "2.8", "4.8", "1.4"], ["6.0", "3.4", "4.5", "1.6"]]
    status, body = journey.answered("iris", "/v1/models/iris:predict", {"instances": rows}, timeout=120)
    assert (status, body) == (200, {"predictions": ["versicolor", "versicolor"]})
