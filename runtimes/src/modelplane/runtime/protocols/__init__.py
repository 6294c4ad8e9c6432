"""Protocol codecs: V1 and V2 (Open Inference Protocol) JSON and binary, V2 gRPC; pure functions, no I/O."""
