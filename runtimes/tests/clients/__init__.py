"""Client scripts the tests run in their own processes: tritonclient.grpc and the kserve SDK both register
`inference.*` protobuf messages in the default descriptor pool, so they cannot share one process."""
