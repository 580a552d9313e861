"""HTML is optional evidence: whatever goes wrong on the HTML path, the paper keeps exactly the claims
its LaTeX gives, and the outcome says the HTML was dropped. Integer fields have sane bounds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.extractor import extract as extract_module
from services.extractor.extract import PaperSources, extract
from shared.models import Measurement
from tests.unit.verdicts import factories

ROOT = Path(__file__).resolve().parents[3]
PAPER = ROOT / "fixtures" / "papers" / "2611.00101"
ENTITIES = "".join(f'<!ENTITY {b} "{("&" + a + ";") * 10}">' for a, b in zip("abcdef", "bcdefg", strict=True))


def _eprint() -> bytes:
    return (PAPER / "eprint.tar.gz").read_bytes()


def _html() -> bytes:
    return (PAPER / "render" / "paper.html").read_bytes()


def _dumps(result: extract_module.ExtractionResult) -> list[str]:
    return [c.model_dump_json() for c in result.claims]


def test_html_declaring_entities_with_an_extra_row_keeps_every_latex_claim() -> None:
    """The shape of issue 19: a DOCTYPE with XML entities and a table whose rows no longer line up
    with the LaTeX's (it ended `internal error: TypeError: unhashable type: 'HtmlCell'`, 0 claims)."""
    html = _html()
    last_row = html.rfind(b"<tr")
    hostile = (
        f'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">{ENTITIES}]>'.encode()
        + html[:last_row]
        + b"<tr><td>&g;</td></tr>"
        + html[last_row:]
    )
    plain = extract(PaperSources("2611.00101", 1, _eprint(), None))
    result = extract(PaperSources("2611.00101", 1, _eprint(), None, html=hostile))
    assert plain.outcome == result.outcome == "claims"
    assert len(plain.claims) == 36
    assert [(c.claim_id, c.citation.reported_value, c.citation.quoted_text) for c in result.claims] == [
        (c.claim_id, c.citation.reported_value, c.citation.quoted_text) for c in plain.claims
    ]


@pytest.mark.parametrize("where", ["_corroborate", "parse_html_tables"])
def test_any_failure_on_the_html_path_drops_the_html_with_a_note(monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    plain = extract(PaperSources("2611.00101", 1, _eprint(), None))

    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("unhashable type: 'HtmlCell'")

    monkeypatch.setattr(extract_module, where, broken)
    result = extract(PaperSources("2611.00101", 1, _eprint(), None, html=_html()))
    assert result.outcome == "claims"
    assert _dumps(result) == _dumps(plain)  # exactly the claims without HTML: no half-corroborated evidence
    assert result.detail == (
        f"{plain.detail}; HTML dropped (TypeError: unhashable type: 'HtmlCell'): claims from the LaTeX alone"
    )


def test_html_over_the_size_limit_is_dropped_with_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = extract(PaperSources("2611.00101", 1, _eprint(), None))
    monkeypatch.setattr(extract_module, "MAX_HTML_BYTES", 1000)
    result = extract(PaperSources("2611.00101", 1, _eprint(), None, html=_html()))
    assert _dumps(result) == _dumps(plain)
    assert "HTML dropped (limit: HTML of" in result.detail


def test_good_html_still_corroborates() -> None:
    result = extract(PaperSources("2611.00101", 1, _eprint(), None, html=_html()))
    assert "HTML dropped" not in result.detail
    assert all(c.evidence.html_element_id for c in result.claims)


@pytest.mark.parametrize("value", [int("9" * 400), -1, 10**15 + 1])
def test_integer_fields_are_bounded(value: int) -> None:
    raw = json.loads(factories.measurement().model_dump_json())
    raw["examples_used"] = value
    with pytest.raises(ValidationError):
        Measurement.model_validate(raw)


def test_validate_refuses_a_400_digit_examples_used_in_one_line(tmp_path: Path) -> None:
    claim = tmp_path / "claim.json"
    claim.write_text(factories.claim().model_dump_json())
    measurement = tmp_path / "measurement.json"
    raw = factories.measurement().model_dump_json()
    measurement.write_text(raw.replace('"examples_used":', '"examples_used":' + "9" * 400 + ', "was":', 1))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.cli.main",
            "validate",
            "--claim",
            str(claim),
            "--measurement",
            str(measurement),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "examples_used: Input should be less than or equal to 1000000000000000" in lines[0], (
        lines
    )
