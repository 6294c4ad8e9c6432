"""Compile `grpc_predict_v2.proto` into `grpc_predict_v2.binpb` (its serialized FileDescriptorProto).

Run `python -m modelplane.runtime.proto.generate` after editing the .proto; `--check` exits 1 when the committed
file differs from what the .proto compiles to. The server builds its message classes from this descriptor in a
private descriptor pool, so it never clashes with other V2 clients (tritonclient, kserve) that register the same
`inference.*` names in protobuf's default pool.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
PROTO = HERE / "grpc_predict_v2.proto"
OUTPUT = HERE / "grpc_predict_v2.binpb"


def compile_descriptor() -> bytes:
    from google.protobuf import descriptor_pb2
    from grpc_tools import protoc

    with tempfile.TemporaryDirectory() as scratch:
        out = pathlib.Path(scratch) / "set.binpb"
        code = protoc.main(["protoc", f"-I{HERE}", f"--descriptor_set_out={out}", PROTO.name])
        if code != 0:
            raise RuntimeError(f"protoc failed with exit code {code} on {PROTO}")
        files = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    return bytes(files.file[0].SerializeToString(deterministic=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when the committed file is out of date")
    args = parser.parse_args(argv)
    data = compile_descriptor()
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_bytes() != data:
            print(f"{OUTPUT} is out of date; run python -m modelplane.runtime.proto.generate", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_bytes(data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
