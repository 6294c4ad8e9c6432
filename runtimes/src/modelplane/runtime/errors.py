"""Domain errors of the model server.

They say what went wrong in the model server's own words and know nothing about HTTP or gRPC: the protocol edges
(`http_app`, `grpc_serving`) map each class to a status code. Messages are shown to the caller verbatim, so each one
names what is wrong and how to fix it.
"""


class ModelServerError(Exception):
    """Base of every error the server reports to a caller."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else type(self).__name__


class InvalidInput(ModelServerError):
    """The request is malformed: bad JSON, wrong shape or datatype, missing field (HTTP 400)."""


class ModelNotFound(ModelServerError):
    """No model of that name is in the model repository (HTTP 404)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"model '{name}' is not in this server's model repository; GET /v1/models lists the models")
        self.name = name


class RouteNotFound(ModelServerError):
    """The path matches no endpoint of the V1 or V2 protocol (HTTP 404)."""


class MethodNotAllowed(ModelServerError):
    """The path exists but not for this HTTP method (HTTP 405)."""


class Conflict(ModelServerError):
    """The request cannot be carried out in the way this server was started (HTTP 409)."""


class ModelNotReady(ModelServerError):
    """The model exists but is still loading or failed to load (HTTP 503)."""

    def __init__(self, name: str, detail: str = "") -> None:
        why = (
            f": {detail}" if detail else "; retry once GET /v2/models/{name}/ready answers 200".replace("{name}", name)
        )
        super().__init__(f"model '{name}' is not ready{why}")
        self.name = name


class InferenceError(ModelServerError):
    """The model raised while predicting (HTTP 500)."""


class PayloadTooLarge(ModelServerError):
    """The request body is larger than --max_body_bytes (HTTP 413)."""


class UnsupportedMediaType(ModelServerError):
    """The request body's encoding cannot be read (HTTP 415)."""


class ModelLoadError(ModelServerError):
    """The model files could not be found or loaded; raised at load time, reported through readiness."""


class SourceNotFound(ModelServerError):
    """Nothing exists at the storage URI a load names (HTTP 404)."""


class UpstreamError(ModelServerError):
    """A predictor or proxied server answered with an error or could not be reached (HTTP 502)."""

    def __init__(self, message: str, *, status: int = 502) -> None:
        super().__init__(message)
        self.status = status
