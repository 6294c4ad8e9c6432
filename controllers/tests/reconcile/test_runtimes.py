"""Tests of runtime selection: legacy framework fields, format name and version, autoSelect, priority, namespaced
before cluster runtimes, protocol support, disabled runtimes skipped, an explicitly named runtime, and the error
(with its condition reason) when nothing fits.
"""

from __future__ import annotations

from typing import Any

import pytest
from modelplane.reconcile import errors, runtimes


def rt(
    name: str, *formats: dict[str, Any], protocols: list[str] | None = None, disabled: bool = False
) -> dict[str, Any]:
    spec: dict[str, Any] = {"supportedModelFormats": list(formats), "containers": [{"name": "c", "image": f"{name}:1"}]}
    if protocols is not None:
        spec["protocolVersions"] = protocols
    if disabled:
        spec["disabled"] = True
    return {"metadata": {"name": name}, "spec": spec}


def fmt(name: str, *, version: str | None = None, auto: bool = True, priority: int | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"name": name, "autoSelect": auto}
    if version is not None:
        result["version"] = version
    if priority is not None:
        result["priority"] = priority
    return result


def model(**fields: Any) -> runtimes.ModelSpec:
    spec = runtimes.model_spec({"model": {"modelFormat": {"name": "sklearn"}, "storageUri": "gs://m", **fields}})
    assert spec is not None
    return spec


@pytest.mark.parametrize(
    ("field", "expected"),
    [(field, fmt_name) for field, fmt_name in runtimes.LEGACY_FRAMEWORKS.items()],
    ids=list(runtimes.LEGACY_FRAMEWORKS),
)
def test_legacy_framework_field_maps_onto_its_format(field: str, expected: str) -> None:
    spec = runtimes.model_spec(
        {field: {"storageUri": "gs://m", "resources": {"limits": {"cpu": "1"}}}, "minReplicas": 2}
    )
    assert spec is not None
    assert (spec.format_name, spec.storage_uri, spec.source_field) == (expected, "gs://m", f"spec.predictor.{field}")
    assert spec.container == {"resources": {"limits": {"cpu": "1"}}}


def test_custom_containers_need_no_runtime() -> None:
    assert runtimes.model_spec({"containers": [{"name": "c", "image": "i"}]}) is None


SELECTIONS = {
    "highest-priority-wins": (
        (rt("low", fmt("sklearn", priority=1)), rt("high", fmt("sklearn", priority=5))),
        (),
        {},
        "high",
    ),
    "name-breaks-priority-ties": ((rt("b", fmt("sklearn")), rt("a", fmt("sklearn"))), (), {}, "a"),
    # A cluster runtime that would win on priority and on name order, so only the namespace rule picks `ns`.
    "namespaced-before-cluster": (
        (rt("a-cluster", fmt("sklearn", priority=9)),),
        (rt("ns", fmt("sklearn", priority=0)),),
        {},
        "ns",
    ),
    "named-namespaced-before-cluster-of-same-name": (
        (rt("shared", fmt("sklearn")),),
        (rt("shared", fmt("sklearn")),),
        {"runtime": "shared"},
        "shared",
    ),
    "auto-select-required": ((rt("manual", fmt("sklearn", auto=False)), rt("auto", fmt("sklearn"))), (), {}, "auto"),
    "disabled-skipped": (
        (rt("off", fmt("sklearn", priority=9), disabled=True), rt("on", fmt("sklearn"))),
        (),
        {},
        "on",
    ),
    "protocol-must-match": (
        (rt("v1only", fmt("sklearn", priority=9), protocols=["v1"]), rt("v2", fmt("sklearn"), protocols=["v2"])),
        (),
        {"protocolVersion": "v2"},
        "v2",
    ),
    "version-must-match": (
        (rt("old", fmt("sklearn", version="0", priority=9)), rt("new", fmt("sklearn", version="1"))),
        (),
        {"modelFormat": {"name": "sklearn", "version": "1.3"}},
        "new",
    ),
    "named-runtime-ignores-auto-select": (
        (rt("chosen", fmt("sklearn", auto=False)), rt("auto", fmt("sklearn", priority=9))),
        (),
        {"runtime": "chosen"},
        "chosen",
    ),
}


@pytest.mark.parametrize("case", list(SELECTIONS), ids=list(SELECTIONS))
def test_selection(case: str) -> None:
    cluster_runtimes, namespaced, fields, expected = SELECTIONS[case]
    chosen = runtimes.select(model=model(**fields), runtimes=namespaced, cluster_runtimes=cluster_runtimes)
    assert chosen.name == expected
    assert chosen.kind == (
        "ServingRuntime"
        if namespaced and expected in {r["metadata"]["name"] for r in namespaced}
        else "ClusterServingRuntime"
    )


FAILURES = {
    "no-format": ((rt("x", fmt("xgboost")),), {}, "NoSupportingRuntime", "model format 'sklearn'"),
    "named-missing": ((rt("x", fmt("sklearn")),), {"runtime": "nope"}, "RuntimeNotRecognized", "named 'nope'"),
    "named-disabled": (
        (rt("off", fmt("sklearn"), disabled=True),),
        {"runtime": "off"},
        "RuntimeNotRecognized",
        "disabled",
    ),
    "named-wrong-protocol": (
        (rt("v1", fmt("sklearn"), protocols=["v1"]),),
        {"runtime": "v1", "protocolVersion": "grpc-v2"},
        "RuntimeNotRecognized",
        "does not support protocol 'grpc-v2'",
    ),
}


@pytest.mark.parametrize("case", list(FAILURES), ids=list(FAILURES))
def test_no_fit_says_why(case: str) -> None:
    cluster_runtimes, fields, reason, text = FAILURES[case]
    with pytest.raises(errors.NoRuntimeError) as raised:
        runtimes.select(model=model(**fields), runtimes=(), cluster_runtimes=cluster_runtimes)
    assert raised.value.reason == reason
    assert text in str(raised.value)
