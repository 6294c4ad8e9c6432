"""Journey: a model in an S3-compatible object store, read with credentials from a Secret. The Secret holds the
access keys and carries KServe's S3 annotations (endpoint, no TLS, region); a ServiceAccount lists it; the
InferenceService names the ServiceAccount and an `s3://` storage URI; the storage initializer downloads the model
with those credentials and the predictor answers. The object store runs in the namespace: moto's S3 server on the
local profile (from the runtime image's Python environment), MinIO on kind; a seeding pod uploads the iris model to
it with the same credentials."""

from __future__ import annotations

IRIS = {"instances": [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]}
ACCESS_KEY, SECRET_KEY = "modelplane-e2e", "modelplane-e2e-secret"
MINIO = "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z"

SEED = """
import os
import boto3
import botocore.config
retries = botocore.config.Config(retries={"max_attempts": 10, "mode": "standard"})
s3 = boto3.client("s3", endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1", config=retries)
s3.create_bucket(Bucket="models")
s3.upload_file("/models/iris/model.joblib", "models", "iris/model.joblib")
print("uploaded", [o["Key"] for o in s3.list_objects_v2(Bucket="models")["Contents"]])
"""


def object_store(profile: str) -> dict:
    if profile == "local":
        container = {"image": "modelplane/runtime:0.1.0", "command": ["moto_server", "-H", "0.0.0.0", "-p", "9000"]}
    else:
        container = {
            "image": MINIO,
            "args": ["server", "/data"],
            "env": [
                {"name": "MINIO_ROOT_USER", "value": ACCESS_KEY},
                {"name": "MINIO_ROOT_PASSWORD", "value": SECRET_KEY},
            ],
        }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "s3", "labels": {"app": "s3"}},
        "spec": {
            "containers": [
                {
                    "name": "s3",
                    **container,
                    "ports": [{"name": "s3", "containerPort": 9000}],
                    "readinessProbe": {"tcpSocket": {"port": "s3"}, "periodSeconds": 1},
                }
            ]
        },
    }


def test_model_is_downloaded_from_s3_with_the_service_accounts_credentials(
    journey, model_repository: str, profile: str
) -> None:
    endpoint = f"s3.{journey.namespace}.svc.cluster.local:9000"
    secret_env = [
        {"name": key, "valueFrom": {"secretKeyRef": {"name": "s3-credentials", "key": key}}}
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    ]
    journey.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": "s3-credentials",
                "annotations": {
                    "serving.kserve.io/s3-endpoint": endpoint,
                    "serving.kserve.io/s3-usehttps": "0",
                    "serving.kserve.io/s3-region": "us-east-1",
                },
            },
            "stringData": {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY},
        },
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "model-reader"},
            "secrets": [{"name": "s3-credentials"}],
        },
        object_store(profile),
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "s3"},
            "spec": {"selector": {"app": "s3"}, "ports": [{"name": "s3", "port": 9000, "targetPort": "s3"}]},
        },
    )
    journey.kubectl("wait", "--for=condition=Ready", "pod/s3", "--timeout=180s")
    journey.serving("s3")
    journey.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "seed"},
            "spec": {
                "restartPolicy": "Never",
                "containers": [
                    {
                        "name": "seed",
                        "image": "modelplane/runtime:0.1.0",
                        "command": ["python", "-c", SEED],
                        "env": [{"name": "ENDPOINT", "value": f"http://{endpoint}"}, *secret_env],
                        "volumeMounts": [{"name": "models", "mountPath": "/models"}],
                    }
                ],
                "volumes": [
                    {
                        "name": "models",
                        "configMap": {
                            "name": "models",
                            "items": [{"key": "iris--model.joblib", "path": "iris/model.joblib"}],
                        },
                    }
                ],
            },
        }
    )
    journey.completed("seed")

    journey.apply(journey.sklearn("s3-iris", "s3://models/iris", serviceAccountName="model-reader"))
    journey.ready("s3-iris")
    pod = journey.get("deployment", "s3-iris-predictor")["spec"]["template"]["spec"]
    init_env = {e["name"]: e for e in pod["initContainers"][0].get("env", [])}
    assert init_env["AWS_ACCESS_KEY_ID"]["valueFrom"]["secretKeyRef"] == {
        "name": "s3-credentials",
        "key": "AWS_ACCESS_KEY_ID",
    }
    assert init_env["AWS_ENDPOINT_URL"]["value"] == f"http://{endpoint}"
    assert journey.answered("s3-iris", "/v1/models/s3-iris:predict", IRIS) == (200, {"predictions": [1, 1]})
