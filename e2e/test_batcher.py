"""Journey: an InferenceService with a `batcher` merges concurrent requests in its model server. The predictor's
runtime gets the bounds (`--max_batch_size`, `--max_latency_ms`), 64 concurrent V1 requests through the ingress all
get the right answer, and the runtime's own metrics (read through the API server's pod proxy, so the same on any
cluster) show that every request went through the batcher and that no batch exceeded `maxBatchSize`."""

from __future__ import annotations

import concurrent.futures
import re

IRIS = {"instances": [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]}
PATH = "/v1/models/batch-iris:predict"
REQUESTS = 64


def batch_sizes(journey) -> dict[str, float]:
    """The predictor's `modelplane_batch_size` histogram: bucket bound (`le`) -> cumulative count, plus _count, _sum."""
    pod = journey.kubectl("get", "pods", "-l", "serving.kserve.io/inferenceservice=batch-iris", "-o", "name")
    name = pod.split()[0].split("/", 1)[1]
    text = journey.kubectl("get", "--raw", f"/api/v1/namespaces/{journey.namespace}/pods/{name}:8080/proxy/metrics")
    found: dict[str, float] = {}
    for line in text.splitlines():
        match = re.match(r"modelplane_batch_size_(bucket|count|sum)\{([^}]*)\} (\S+)", line)
        if not match or 'model="batch-iris"' not in match.group(2):
            continue
        kind, labels, value = match.groups()
        bound = re.search(r'le="([^"]+)"', labels)
        found[bound.group(1) if kind == "bucket" and bound else kind] = float(value)
    return found


def test_concurrent_requests_are_batched_within_the_bound(journey, model_repository: str) -> None:
    batcher = {"maxBatchSize": 8, "maxLatency": 50}
    journey.apply(journey.sklearn("batch-iris", f"{model_repository}/iris/model.joblib", batcher=batcher))
    journey.ready("batch-iris")
    args = journey.get("deployment", "batch-iris-predictor")["spec"]["template"]["spec"]["containers"][0]["args"]
    flags = dict(zip(args[::2], args[1::2], strict=False))
    assert (flags.get("--max_batch_size"), flags.get("--max_latency_ms")) == ("8", "50")
    assert journey.answered("batch-iris", PATH, IRIS) == (200, {"predictions": [1, 1]})
    before = batch_sizes(journey)

    with concurrent.futures.ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        answers = list(pool.map(lambda _: journey.post("batch-iris", PATH, IRIS), range(REQUESTS)))

    assert answers == [(200, {"predictions": [1, 1]})] * REQUESTS
    after = batch_sizes(journey)
    batched = after["sum"] - before["sum"]
    assert batched == REQUESTS, f"{batched} requests went through the batcher, not {REQUESTS}"
    batches = after["count"] - before["count"]
    assert 1 <= batches <= REQUESTS
    assert after["8.0"] - before["8.0"] == batches, "a batch held more than maxBatchSize requests"
    print(f"{REQUESTS} concurrent requests in {batches:.0f} batches")
