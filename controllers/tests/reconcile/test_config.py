"""Tests of reading the `inferenceservice-config` ConfigMap: KServe's defaults, each section's fields, the newer
deployment-mode names, the storage initializer's node cache (off by default, an absolute path when on), and errors
that name the key and field for bad JSON, wrong types, unknown choices and unusable cache paths.
"""

from __future__ import annotations

import pytest
from modelplane.reconcile import config, errors


def test_empty_configmap_gives_kserve_defaults() -> None:
    assert config.from_configmap_data({}) == config.Config()


def test_sections_are_read() -> None:
    parsed = config.from_configmap_data(
        {
            "deploy": '{"defaultDeploymentMode": "Standard"}',
            "ingress": '{"ingressDomain": "models.example.org", "routing": "gateway-api", "urlScheme": "https"}',
            "storageInitializer": '{"image": "example/init:2", "memoryLimit": "2Gi"}',
            "runtime": '{"image": "example/runtime:3"}',
            "batcher": '{"maxBatchSize": "64"}',
            "logger": '{"defaultUrl": "http://sink"}',
        }
    )
    assert parsed.default_deployment_mode == "RawDeployment"
    assert (parsed.ingress.domain, parsed.ingress.routing, parsed.ingress.url_scheme) == (
        "models.example.org",
        "gateway-api",
        "https",
    )
    assert (parsed.storage_initializer.image, parsed.storage_initializer.memory_limit) == ("example/init:2", "2Gi")
    assert (parsed.runtime_image, parsed.batcher_default_max_batch_size, parsed.logger_default_url) == (
        "example/runtime:3",
        64,
        "http://sink",
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"deploy": "{not json"}, "'deploy' is not valid JSON"),
        ({"ingress": "[1]"}, "'ingress' must hold a JSON object"),
        ({"ingress": '{"routing": "nginx"}'}, "field 'routing' is 'nginx'; use one of istio, ingress, gateway-api"),
        ({"deploy": '{"defaultDeploymentMode": "Fast"}'}, "field 'defaultDeploymentMode' is 'Fast'"),
        ({"batcher": '{"maxBatchSize": 0}'}, "field 'maxBatchSize' must be a positive integer"),
        ({"storageInitializer": '{"image": ""}'}, "field 'image' must be a non-empty string"),
        ({"storageInitializer": '{"cacheHostPath": "cache"}'}, "field 'cacheHostPath' is 'cache'; give an absolute"),
        ({"storageInitializer": '{"cacheHostPath": "/var/../etc"}'}, "without '..'"),
        ({"storageInitializer": '{"cacheHostPath": true}'}, "field 'cacheHostPath' must be a string path"),
    ],
    ids=[
        "bad-json",
        "not-object",
        "unknown-routing",
        "unknown-mode",
        "zero-batch",
        "empty-image",
        "relative-cache-path",
        "cache-path-climbing-out",
        "cache-path-not-a-string",
    ],
)
def test_bad_values_are_named(data: dict[str, str], expected: str) -> None:
    with pytest.raises(errors.ConfigError, match=expected.replace("[", r"\[").replace("(", r"\(")):
        config.from_configmap_data(data)


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        (None, ""),
        ('""', ""),
        ('"/var/cache/modelplane"', "/var/cache/modelplane"),
        ('"/var/cache/modelplane/"', "/var/cache/modelplane"),
    ],
    ids=["absent-off", "empty-off", "absolute", "trailing-slash-dropped"],
)
def test_storage_cache_host_path(field: str | None, expected: str) -> None:
    section = "{}" if field is None else f'{{"cacheHostPath": {field}}}'
    parsed = config.from_configmap_data({"storageInitializer": section})
    assert parsed.storage_initializer.cache_host_path == expected
