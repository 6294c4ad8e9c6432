"""The OpenAPI 3.1 document of the REST API, written as data and served at `GET /openapi.json`.

It describes every route the HTTP edge serves, the V1 and V2 request bodies, and the `{"error": ...}` body of every
error answer; the fuzz tests generate their bad inputs from it.
"""

from __future__ import annotations

from typing import Any

_ERROR = {"$ref": "#/components/schemas/Error"}


def _errors(*codes: int) -> dict[str, Any]:
    why = {
        400: "Invalid input",
        404: "Model or route not found",
        405: "Method not allowed",
        413: "Body larger than --max_body_bytes",
        409: "Not possible on this server (loads and unloads at run time need --workers 1)",
        415: "Unsupported Content-Encoding",
        500: "The model failed",
        503: "Model not ready",
    }
    return {
        str(code): {"description": why[code], "content": {"application/json": {"schema": _ERROR}}} for code in codes
    }


def _ok(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"200": {"description": description, "content": {"application/json": {"schema": schema}}}}


_MODEL = {"name": "model_name", "in": "path", "required": True, "schema": {"type": "string"}}
_VERSION = {"name": "model_version", "in": "path", "required": True, "schema": {"type": "string"}}
_INFER_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/InferRequest"}}},
}


def _infer(parameters: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "post": {
            "summary": "V2 inference",
            "parameters": parameters,
            "requestBody": _INFER_BODY,
            "responses": {**_ok({"$ref": "#/components/schemas/InferResponse"}), **_errors(400, 404, 413, 500, 503)},
        }
    }


def _metadata(parameters: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "get": {
            "summary": "V2 model metadata",
            "parameters": parameters,
            "responses": {**_ok({"$ref": "#/components/schemas/ModelMetadata"}), **_errors(404, 503)},
        }
    }


def _ready(parameters: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "get": {
            "summary": "V2 model readiness",
            "parameters": parameters,
            "responses": {**_ok({"type": "object"}), **_errors(404, 503)},
        }
    }


def _schemas() -> dict[str, Any]:
    tensor = {
        "type": "object",
        "required": ["name", "shape", "datatype"],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "shape": {"type": "array", "items": {"type": "integer", "minimum": 0}},
            "datatype": {
                "type": "string",
                "enum": [
                    "BOOL",
                    "INT8",
                    "INT16",
                    "INT32",
                    "INT64",
                    "UINT8",
                    "UINT16",
                    "UINT32",
                    "UINT64",
                    "FP16",
                    "FP32",
                    "FP64",
                    "BYTES",
                ],
            },
            "parameters": {"type": "object"},
            "data": {"type": "array"},
        },
    }
    return {
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
        "LoadRequest": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "parameters": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "storage_uri": {"type": "string", "minLength": 1},
                        "model_format": {
                            "type": "string",
                            "enum": ["sklearn", "xgboost", "lightgbm", "onnx", "pytorch", "custom", "shap"],
                        },
                    },
                }
            },
        },
        "V1Request": {
            "type": "object",
            "required": ["instances"],
            "properties": {"instances": {"type": "array", "minItems": 1}, "parameters": {"type": "object"}},
        },
        "V1Response": {"type": "object", "required": ["predictions"], "properties": {"predictions": {}}},
        "Tensor": tensor,
        "InferRequest": {
            "type": "object",
            "required": ["inputs"],
            "properties": {
                "id": {"type": "string"},
                "parameters": {"type": "object"},
                "inputs": {"type": "array", "minItems": 1, "items": {"$ref": "#/components/schemas/Tensor"}},
                "outputs": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["name"],
                        "properties": {"name": {"type": "string"}, "parameters": {"type": "object"}},
                    },
                },
            },
        },
        "InferResponse": {
            "type": "object",
            "required": ["model_name", "outputs"],
            "properties": {
                "model_name": {"type": "string"},
                "model_version": {"type": "string"},
                "id": {"type": "string"},
                "outputs": {"type": "array", "items": {"$ref": "#/components/schemas/Tensor"}},
            },
        },
        "ModelMetadata": {
            "type": "object",
            "required": ["name", "platform", "inputs", "outputs"],
            "properties": {
                "name": {"type": "string"},
                "versions": {"type": "array", "items": {"type": "string"}},
                "platform": {"type": "string"},
                "inputs": {"type": "array"},
                "outputs": {"type": "array"},
            },
        },
    }


def document(*, version: str) -> dict[str, Any]:
    v1_body = {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/V1Request"}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Modelplane model server", "version": version},
        "paths": {
            "/": {"get": {"summary": "Liveness (V1)", "responses": _ok({"type": "object"})}},
            "/v1/models": {"get": {"summary": "List models (V1)", "responses": _ok({"type": "object"})}},
            "/v1/models/{model_name}": {
                "get": {
                    "summary": "Model status (V1)",
                    "parameters": [_MODEL],
                    "responses": {**_ok({"type": "object"}), **_errors(404, 503)},
                }
            },
            "/v1/models/{model_name}:predict": {
                "post": {
                    "summary": "V1 prediction",
                    "parameters": [_MODEL],
                    "requestBody": v1_body,
                    "responses": {
                        **_ok({"$ref": "#/components/schemas/V1Response"}),
                        **_errors(400, 404, 413, 500, 503),
                    },
                }
            },
            "/v1/models/{model_name}:explain": {
                "post": {
                    "summary": "V1 explanation",
                    "parameters": [_MODEL],
                    "requestBody": v1_body,
                    "responses": {**_ok({"type": "object"}), **_errors(400, 404, 413, 500, 503)},
                }
            },
            "/v2": {"get": {"summary": "Server metadata", "responses": _ok({"type": "object"})}},
            "/v2/health/live": {"get": {"summary": "Server liveness", "responses": _ok({"type": "object"})}},
            "/v2/health/ready": {
                "get": {"summary": "Server readiness", "responses": {**_ok({"type": "object"}), **_errors(503)}}
            },
            "/v2/models/{model_name}": _metadata([_MODEL]),
            "/v2/models/{model_name}/versions/{model_version}": _metadata([_MODEL, _VERSION]),
            "/v2/models/{model_name}/ready": _ready([_MODEL]),
            "/v2/models/{model_name}/versions/{model_version}/ready": _ready([_MODEL, _VERSION]),
            "/v2/models/{model_name}/infer": _infer([_MODEL]),
            "/v2/models/{model_name}/versions/{model_version}/infer": _infer([_MODEL, _VERSION]),
            "/v2/repository/index": {
                "post": {"summary": "List the model repository", "responses": _ok({"type": "array"})}
            },
            "/v2/repository/models/{model_name}/load": {
                "post": {
                    "summary": "Load a model (from <model_dir>/<name>, or fetched from parameters.storage_uri)",
                    "parameters": [_MODEL],
                    "requestBody": {
                        "required": False,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LoadRequest"}}},
                    },
                    "responses": {**_ok({"type": "object"}), **_errors(400, 404, 409, 500)},
                }
            },
            "/v2/repository/models/{model_name}/unload": {
                "post": {
                    "summary": "Unload a model",
                    "parameters": [_MODEL],
                    "responses": {**_ok({"type": "object"}), **_errors(404, 409)},
                }
            },
            "/metrics": {
                "get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "text format"}}}
            },
            "/openapi.json": {"get": {"summary": "This document", "responses": _ok({"type": "object"})}},
        },
        "components": {"schemas": _schemas()},
    }
