"""Modelplane's model server: the data plane every InferenceService runs (no Kubernetes dependencies)."""
