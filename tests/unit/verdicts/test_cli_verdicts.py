"""`paperverdict validate` offline, and the `paperverdict watch` filter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.cli.verdicts import matches_filter, validate_command
from services.validator.rules import post_verdict
from shared.messages import EvaluationCompleted, VerdictPublished
from tests.unit.verdicts import factories as f


def test_validate_prints_the_post_verdict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    claim_path, measurement_path = tmp_path / "c.json", tmp_path / "m.json"
    claim_path.write_text(f.claim().model_dump_json())
    measurement_path.write_text(f.measurement(0.47).model_dump_json())
    assert validate_command(claim_path, measurement_path) == 0
    verdict = json.loads(capsys.readouterr().out)
    assert (verdict["kind"], verdict["status"], verdict["protocol_match"]) == ("POST", "wrong", "match")
    assert verdict["gates"][0]["gate"] == "C1"


def test_validate_accepts_a_saved_message_and_applies_c1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    message = EvaluationCompleted(
        paper=f.paper(),
        version=f.version(),
        claim=f.claim(),
        measurement=f.measurement(0.40, protocol=f.seed_run(), stderr=0.001, examples_used=5000),
    )
    path = tmp_path / "completed.json"
    path.write_text(message.model_dump_json())
    assert validate_command(path, path) == 0
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["status"] == "inconclusive" and verdict["gates"][0]["changed_status_from"] == "wrong"


def test_validate_reports_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "m.json"
    good.write_text(f.measurement().model_dump_json())
    assert validate_command(tmp_path / "missing.json", good) == 2
    assert "missing.json: no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"claim_id": "x"}')
    assert validate_command(bad, good) == 2
    assert "bad.json: not a Claim (arxiv_id: Field required" in capsys.readouterr().err


def event(arxiv_id: str = "2502.02737", version: int = 1, status: str = "wrong") -> VerdictPublished:
    verdict = post_verdict(f.claim(), f.measurement(0.47), now=f.NOW).model_copy(update={"status": status})
    return VerdictPublished(arxiv_id=arxiv_id, paper_version=version, claim_id="c", verdict=verdict)


@pytest.mark.parametrize(
    ("arxiv", "status", "the_event", "expected"),
    [
        (None, None, event(), True),
        ("2502.02737", None, event(), True),
        ("2502.02737v1", None, event(), True),
        ("2502.02737v2", None, event(), False),
        ("arxiv:2502.02737", "wrong", event(), True),
        ("2502.02738", None, event(), False),
        (None, "wrong", event(status="partial"), False),
        (None, "WRONG,partial", event(status="partial"), True),
        ("hep-th/9901001", None, event("hep-th/9901001"), True),
        ("hep-th/9901001", None, event(), False),
    ],
)
def test_watch_filter(arxiv, status, the_event, expected) -> None:  # type: ignore[no-untyped-def]
    assert matches_filter(the_event, arxiv, status) is expected
