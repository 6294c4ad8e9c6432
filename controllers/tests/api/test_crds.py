"""Tests for modelplane.api.crds: the four CRDs' names, printer columns, status subresource and schemas.

Covers: group/kind/plural/short names/scope/categories like KServe's; KServe's printer columns for `kubectl get
isvc`; every schema structural (typed nodes, no references, anyOf only as int-or-string, metadata left to the API
server) and free of preserve-unknown-fields; the JSON form under kubectl's 256 KiB last-applied limit; and the
schema agreeing with modelplane.api.validation on shape rules (checked with a JSON Schema validator, valid and
invalid objects alike). A `cluster` test applies every CRD to the local API server and checks that a valid
InferenceService is stored and an invalid one is rejected with the field named, and that the examples of
docs/api.md pass the API server with no field pruned.
"""

from __future__ import annotations

import functools
import json
import pathlib
import re
import subprocess
import uuid
from typing import Any

import jsonschema
import pytest
import yaml
from modelplane.api import crds, settings, validation

ROOT = pathlib.Path(__file__).resolve().parents[3]


@functools.cache
def by_kind() -> dict[str, dict[str, Any]]:
    return {crd["spec"]["names"]["kind"]: crd for crd in crds.all_crds()}


@pytest.mark.parametrize(
    ("kind", "plural", "version", "scope", "short_names"),
    [
        pytest.param("InferenceService", "inferenceservices", "v1beta1", "Namespaced", ["isvc"], id="isvc"),
        pytest.param("ServingRuntime", "servingruntimes", "v1alpha1", "Namespaced", None, id="servingruntime"),
        pytest.param(
            "ClusterServingRuntime", "clusterservingruntimes", "v1alpha1", "Cluster", None, id="clusterservingruntime"
        ),
        pytest.param("TrainedModel", "trainedmodels", "v1alpha1", "Namespaced", ["tm"], id="trainedmodel"),
    ],
)
def test_names_scope_and_status_subresource(
    kind: str, plural: str, version: str, scope: str, short_names: list[str] | None
) -> None:
    crd = by_kind()[kind]
    assert crd["metadata"]["name"] == f"{plural}.serving.kserve.io"
    assert crd["spec"]["group"] == "serving.kserve.io"
    assert crd["spec"]["scope"] == scope
    names = crd["spec"]["names"]
    assert (names["plural"], names["singular"], names["listKind"]) == (plural, kind.lower(), f"{kind}List")
    assert names.get("shortNames") == short_names
    assert names["categories"] == ["kserve", "modelplane"]
    [served] = crd["spec"]["versions"]
    assert (served["name"], served["served"], served["storage"]) == (version, True, True)
    assert served["subresources"] == {"status": {}}


def test_inference_service_printer_columns_match_kserve() -> None:
    [served] = by_kind()["InferenceService"]["spec"]["versions"]
    columns = {column["name"]: column["jsonPath"] for column in served["additionalPrinterColumns"]}
    assert list(columns) == ["URL", "Ready", "Prev", "Latest", "PrevRolledoutRevision", "LatestReadyRevision", "Age"]
    assert columns["Prev"] == ".status.components.predictor.traffic[?(@.tag=='prev')].percent"
    assert columns["Latest"] == ".status.components.predictor.traffic[?(@.latestRevision==true)].percent"
    assert columns["Ready"] == ".status.conditions[?(@.type=='Ready')].status"


def walk(node: dict[str, Any], path: str = "") -> list[str]:
    """Every place in a schema that breaks the structural rules the API server enforces."""
    problems = []
    if "$ref" in node or "$defs" in node:
        problems.append(f"{path}: reference")
    if node.get("x-kubernetes-preserve-unknown-fields"):
        problems.append(f"{path}: preserve-unknown-fields")
    if "anyOf" in node and not (
        node.get("x-kubernetes-int-or-string") and node["anyOf"] == [{"type": "integer"}, {"type": "string"}]
    ):
        problems.append(f"{path}: anyOf outside int-or-string")
    if "type" not in node and not node.get("x-kubernetes-int-or-string"):
        problems.append(f"{path}: no type")
    if "default" in node or "nullable" in node:
        problems.append(f"{path}: default or nullable")
    if "properties" in node and "additionalProperties" in node:
        problems.append(f"{path}: properties with additionalProperties")
    for name, child in node.get("properties", {}).items():
        problems += walk(child, f"{path}.{name}")
    if isinstance(node.get("additionalProperties"), dict):
        problems += walk(node["additionalProperties"], f"{path}{{}}")
    if "items" in node:
        problems += walk(node["items"], f"{path}[]")
    return problems


@pytest.mark.parametrize("kind", ["InferenceService", "ServingRuntime", "ClusterServingRuntime", "TrainedModel"])
def test_schemas_are_structural_and_closed(kind: str) -> None:
    root = by_kind()[kind]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    assert walk(root) == []
    assert root["properties"]["metadata"] == {"type": "object"}
    assert root["required"] == ["spec"]


def test_inference_service_crd_fits_kubectl_client_side_apply() -> None:
    assert len(json.dumps(by_kind()["InferenceService"], separators=(",", ":"))) < 256 * 1024


def isvc_schema() -> dict[str, Any]:
    return by_kind()["InferenceService"]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def isvc(predictor: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "m"},
        "spec": {"predictor": predictor},
    }


SKLEARN = {"sklearn": {"storageUri": "gs://b/m", "resources": {"limits": {"cpu": "500m", "nvidia.com/gpu": 1}}}}
SHAPES = [
    pytest.param(isvc(SKLEARN), None, id="valid"),
    pytest.param(isvc({**SKLEARN, "minReplicas": -1}), "spec.predictor.minReplicas", id="min-negative"),
    pytest.param(
        isvc({**SKLEARN, "canaryTrafficPercent": 150}), "spec.predictor.canaryTrafficPercent", id="canary-above-100"
    ),
    pytest.param(
        isvc({**SKLEARN, "containerConcurrency": -3}), "spec.predictor.containerConcurrency", id="concurrency-negative"
    ),
    pytest.param(isvc({**SKLEARN, "logger": {"mode": "some"}}), "spec.predictor.logger.mode", id="logger-mode"),
    pytest.param(isvc({**SKLEARN, "scaleMetric": "qps"}), "spec.predictor.scaleMetric", id="scale-metric"),
    pytest.param(
        isvc({"model": {"modelFormat": {"name": "x"}, "protocolVersion": "v9"}}),
        "spec.predictor.model.protocolVersion",
        id="protocol",
    ),
    pytest.param(isvc({"model": {"storageUri": "gs://b/m"}}), "spec.predictor.model.modelFormat", id="format-missing"),
    pytest.param(
        isvc({"sklearn": {"resources": {"limits": {"cpu": "lots"}}}}),
        "spec.predictor.sklearn.resources.limits[cpu]",
        id="quantity",
    ),
]


def missing(error: jsonschema.ValidationError) -> list[str]:
    """The property a `required` error is about (jsonschema reports it at the parent's path)."""
    return [error.message.split("'")[1]] if error.validator == "required" else []


@pytest.mark.parametrize(("obj", "field"), SHAPES)
def test_schema_and_validation_agree_on_shape(obj: dict[str, Any], field: str | None) -> None:
    schema_errors = list(jsonschema.Draft202012Validator(isvc_schema()).iter_errors(obj))
    violations = validation.validate_inference_service(obj, old=None, config=settings.Defaults())
    if field is None:
        assert schema_errors == []
        assert violations == []
        return
    assert schema_errors, "the CRD schema accepted an object it must refuse"
    paths = {".".join(str(part) for part in [*error.absolute_path, *missing(error)]) for error in schema_errors}
    assert field.replace("[", ".").replace("]", "") in paths
    if field.endswith("[cpu]"):
        return  # the quantity grammar is the schema's alone (a pattern); validation checks types there
    assert field in [violation.field for violation in violations]


# --- against the local control plane -------------------------------------------------------------------------------

KUBECTL = ROOT / "bin" / "kubectl"


def kubectl(kubeconfig: pathlib.Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KUBECTL), "--kubeconfig", str(kubeconfig), *args],
        input=stdin,
        text=True,
        capture_output=True,
        timeout=120,
        check=False,
    )


@pytest.mark.cluster
def test_crds_apply_and_the_api_server_enforces_their_schema(kube_cluster: pathlib.Path) -> None:
    """Server-side apply of every CRD; a valid InferenceService is stored, an invalid one refused naming the field."""
    for crd in crds.all_crds():
        result = kubectl(
            kube_cluster,
            "apply",
            "--server-side",
            "--field-manager=modelplane-tests",
            "--force-conflicts",
            "-f",
            "-",
            stdin=json.dumps(crd),
        )
        assert result.returncode == 0, result.stderr
    for crd in crds.all_crds():
        result = kubectl(
            kube_cluster, "wait", "--for=condition=Established", "--timeout=60s", f"crd/{crd['metadata']['name']}"
        )
        assert result.returncode == 0, result.stderr
    name, namespace = "crd-schema-check", f"modelplane-crd-test-{uuid.uuid4().hex[:6]}"
    assert kubectl(kube_cluster, "create", "namespace", namespace).returncode == 0
    valid = isvc(SKLEARN)
    valid["metadata"] = {"name": name, "namespace": namespace}
    try:
        created = kubectl(kube_cluster, "create", "-f", "-", stdin=json.dumps(valid))
        assert created.returncode == 0, created.stderr
        stored = json.loads(kubectl(kube_cluster, "get", "isvc", name, "-n", namespace, "-o", "json").stdout)
        assert stored["spec"]["predictor"]["sklearn"]["resources"]["limits"]["nvidia.com/gpu"] == 1
        listed = kubectl(kube_cluster, "get", "isvc", "-n", namespace)
        assert listed.stdout.split()[:8] == [
            "NAME",
            "URL",
            "READY",
            "PREV",
            "LATEST",
            "PREVROLLEDOUTREVISION",
            "LATESTREADYREVISION",
            "AGE",
        ]
    finally:
        kubectl(kube_cluster, "delete", "namespace", namespace, "--wait=false")
    invalid = isvc({**SKLEARN, "minReplicas": -1, "canaryTrafficPercent": 150})
    invalid["metadata"] = {"name": "crd-schema-invalid", "namespace": "default"}
    refused = kubectl(kube_cluster, "create", "--dry-run=server", "-f", "-", stdin=json.dumps(invalid))
    assert refused.returncode != 0
    assert "spec.predictor.minReplicas" in refused.stderr
    assert "spec.predictor.canaryTrafficPercent" in refused.stderr


@pytest.mark.cluster
def test_docs_examples_are_stored_without_pruning(kube_cluster: pathlib.Path) -> None:
    """Every example of docs/api.md passes the API server's schema with no field pruned (a server dry run)."""
    for crd in crds.all_crds():
        applied = kubectl(
            kube_cluster,
            "apply",
            "--server-side",
            "--field-manager=modelplane-tests",
            "--force-conflicts",
            "-f",
            "-",
            stdin=json.dumps(crd),
        )
        assert applied.returncode == 0, applied.stderr
        kubectl(kube_cluster, "wait", "--for=condition=Established", "--timeout=60s", f"crd/{crd['metadata']['name']}")
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    examples = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)]
    assert examples
    for index, example in enumerate(examples):
        example["metadata"]["name"] = f"docs-example-{index}"  # never collides with objects others made
        if example["kind"] != "ClusterServingRuntime":
            example["metadata"]["namespace"] = "default"
        result = kubectl(kube_cluster, "create", "--dry-run=server", "-o", "json", "-f", "-", stdin=json.dumps(example))
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["spec"] == example["spec"], f"{example['kind']}: the API server pruned fields"
