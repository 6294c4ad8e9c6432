"""Load tests for any InferenceService endpoint: locust users, load shapes, pacing, reports and benchmarks."""
