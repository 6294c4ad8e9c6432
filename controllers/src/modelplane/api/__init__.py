"""The serving.kserve.io API as Python types: the single source of the CRDs, validation and defaulting."""
