"""The committed descriptor matches the .proto (drift check), and the protocol is wire-compatible with the V2
definitions that tritonclient and the kserve SDK ship: for every message and field they share with ours, the field
numbers, types and labels are the same, and the service has the same method names."""

from __future__ import annotations

import subprocess
import sys

from google.protobuf import descriptor_pb2
from modelplane.runtime import proto
from modelplane.runtime.proto import generate

SHAPE_SCRIPT = """
import json, sys
from google.protobuf import descriptor_pb2
module = __import__(sys.argv[1], fromlist=["DESCRIPTOR"])
file = descriptor_pb2.FileDescriptorProto()
module.DESCRIPTOR.CopyToProto(file)
print(file.SerializeToString().hex())
"""


def test_committed_descriptor_is_current() -> None:
    assert generate.compile_descriptor() == proto.descriptor()
    assert generate.main(["--check"]) == 0


def _fields(file: descriptor_pb2.FileDescriptorProto) -> dict[str, dict[str, tuple[int, int, int]]]:
    out: dict[str, dict[str, tuple[int, int, int]]] = {}

    def walk(prefix: str, messages: object) -> None:
        for message in messages:  # type: ignore[attr-defined]
            name = f"{prefix}{message.name}"
            out[name] = {field.name: (field.number, field.type, field.label) for field in message.field}
            walk(name + ".", message.nested_type)

    walk("", file.message_type)
    return out


def _theirs(module: str) -> descriptor_pb2.FileDescriptorProto:
    # Each client registers `inference.*` in protobuf's default pool, so each is read in its own process.
    done = subprocess.run([sys.executable, "-c", SHAPE_SCRIPT, module], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return descriptor_pb2.FileDescriptorProto.FromString(bytes.fromhex(done.stdout.strip()))


def test_wire_compatible_with_tritonclient_and_kserve() -> None:
    ours = descriptor_pb2.FileDescriptorProto.FromString(proto.descriptor())
    our_fields = _fields(ours)
    our_methods = {m.name: (m.input_type, m.output_type) for m in ours.service[0].method}
    assert ours.package == "inference"
    assert ours.service[0].name == "GRPCInferenceService"
    for module in ("tritonclient.grpc.service_pb2", "kserve.protocol.grpc.grpc_predict_v2_pb2"):
        theirs = _theirs(module)
        their_fields = _fields(theirs)
        their_methods = {m.name: (m.input_type, m.output_type) for m in theirs.service[0].method}
        compared = 0
        for message in ("ModelInferRequest", "ModelInferResponse", "InferParameter", "InferTensorContents",
                        "ModelMetadataResponse", "ModelInferRequest.InferInputTensor",
                        "ModelInferResponse.InferOutputTensor", "ModelMetadataResponse.TensorMetadata",
                        "ServerMetadataResponse", "ModelReadyRequest"):  # fmt: skip
            for field, shape in our_fields[message].items():
                if field in their_fields[message]:
                    assert their_fields[message][field] == shape, (module, message, field)
                    compared += 1
        assert compared > 40
        for method in ("ServerLive", "ServerReady", "ModelReady", "ServerMetadata", "ModelMetadata", "ModelInfer"):
            assert their_methods[method] == our_methods[method], (module, method)
