"""Journey: the README's main job. `modelplane dev-demo` (the last step of `make demo`) trains the iris model into
the model store of examples/model-store.yaml, deploys examples/sklearn-iris.yaml unchanged, waits for it to be
Ready and prints the URL and the answer of a V1 prediction sent through the ingress; running it again changes
nothing and answers the same."""

from __future__ import annotations

ANSWER = '{"predictions":[1,1]}'


def test_the_demo_deploys_the_example_and_prints_a_prediction(
    modelplane, kubeconfig, namespace, ingress, journey
) -> None:
    args = ("dev-demo", "--kubeconfig", kubeconfig, "--namespace", namespace, "--ingress", ingress)
    first = modelplane(*args)
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"InferenceService sklearn-iris is Ready at http://sklearn-iris-{namespace}." in first.stdout
    assert f"-> HTTP 200: {ANSWER}" in first.stdout
    assert "make down" in first.stdout

    again = modelplane(*args)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"-> HTTP 200: {ANSWER}" in again.stdout
    assert journey.names("inferenceservices") == ["sklearn-iris"]
    assert journey.names("deployments") == ["model-store", "sklearn-iris-predictor"]
