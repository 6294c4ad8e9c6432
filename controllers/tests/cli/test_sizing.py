"""Tests for `modelplane sizing`: the text report with its values snippet, `-o yaml` printing only parseable
values, and bad input ending with exit status 2 and one line naming the flag."""

from __future__ import annotations

import pytest
import yaml
from modelplane.cli import __main__ as cli


def test_text_report_ends_with_the_snippet(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["sizing", "--isvcs", "200", "--rps", "5000"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("200 InferenceServices (200 Knative Services), 5000 requests/s at peak")
    snippet = yaml.safe_load(out.split("# charts/platform values (helm upgrade ... -f sizing.yaml):\n")[1])
    assert snippet["istio-gateway"]["autoscaling"]["minReplicas"] == 4


def test_yaml_output_is_only_values(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["sizing", "--isvcs", "3", "--rps", "10", "--no-ha", "-o", "yaml"]) == 0
    values = yaml.safe_load(capsys.readouterr().out)
    assert set(values) == {"istio-gateway", "istiod", "knative"}
    assert values["istiod"]["pilot"]["autoscaleMin"] == 1


def test_bad_input_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["sizing", "--isvcs", "-4", "--rps", "10"]) == 2
    err = capsys.readouterr().err
    assert err == "modelplane sizing: --isvcs must be 0 or more, got -4\n"
