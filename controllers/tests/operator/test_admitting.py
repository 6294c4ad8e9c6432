"""Tests of the webhook's refusal message: every violation listed, field first; and one handler per kind."""

from __future__ import annotations

from modelplane.api import validation
from modelplane.operator import admitting


def test_rejection_lists_every_field() -> None:
    message = admitting.rejection(
        [
            validation.Violation("spec.predictor.minReplicas", "is 5, more than maxReplicas 2"),
            validation.Violation("metadata.name", "is too long"),
        ]
    )
    assert message == "spec.predictor.minReplicas: is 5, more than maxReplicas 2; metadata.name: is too long"


def test_every_kind_has_a_rule() -> None:
    assert set(admitting.KINDS) == set(admitting.RULES)
    assert {plural for _, _, plural in admitting.KINDS.values()} == {
        "inferenceservices", "servingruntimes", "clusterservingruntimes", "trainedmodels",
    }  # fmt: skip
