"""The V2 gRPC protocol definition (`grpc_predict_v2.proto`) and its compiled descriptor.

`grpc_predict_v2.binpb` (the compiled descriptor) is generated from the .proto by
`python -m modelplane.runtime.proto.generate` (needs grpcio-tools, a dev dependency) and committed; a test fails
when it has drifted from the .proto.
"""

import importlib.resources


def descriptor() -> bytes:
    """The committed, compiled descriptor of grpc_predict_v2.proto (a serialized FileDescriptorProto)."""
    return importlib.resources.files(__name__).joinpath("grpc_predict_v2.binpb").read_bytes()
