"""Hostile LaTeX: unclosed groups and environments, runaway row ends, fan-outs. Each must end in a clear
outcome within a time bound, in the isolated parser process (memory-limited, killed at its deadline).

Before the linear-time masking and indexes, the unclosed inputs below took 4-25 s each at ~100 KB and the
runaway `\\\\[` row ends ran past 60 s (measured with `paperverdict extract`). Now each takes under
PARSE_CPU_S of the parser's CPU time (README.md, "Measured"; the slowest, the unclosed `\\newcommand[`, about
0.6 s), and time grows linearly with the input. CPU time, not wall time: other processes on the machine
do not move it.
"""

from __future__ import annotations

import gc
import gzip
import time

import pytest

from services.extractor.extract import ExtractionResult, PaperSources, extract
from services.extractor.isolated import extract_isolated
from shared.settings import ExtractorSettings

# What must never happen: README's "< 1 s of parser CPU each" is a measurement (0.5 s for "wide spans" on a
# quiet machine, 1.02 s on a loaded one); regressions in the shape of the cost are caught by the growth test
PARSE_CPU_S = 5.0
HTML_CPU_S = 1.0  # README.md: hostile HTML "< 1 s"

TABLE = (
    r"\begin{table}\caption{Results}\begin{tabular}{lcc}\toprule Model & MMLU & ARC-c \\ \midrule "
    r"Llama-2-7B & 45.3 & 43.2 \\ \bottomrule\end{tabular}\end{table}"
    "\n"
)

HOSTILE = {
    "unclosed comment environments": TABLE + r"\begin{comment} " * 5000,
    "unclosed iffalse": TABLE + r"\iffalse " * 8000,
    "unclosed def": TABLE + r"\def\q{ " * 8000,
    "unclosed newcommand optional": TABLE + r"\newcommand\q[ " * 8000,
    "unclosed tables": TABLE + r"\begin{table} " * 8000,
    "unclosed caption optional": TABLE + r"\begin{table}\caption[ " * 5000,
    "runaway row ends": r"\begin{table}\caption{x}\begin{tabular}{cc}" + "\\\\[" * 100000 + r"\end{tabular}\end{table}",
    "unclosed braces": TABLE + "{" * 50000,
    "input fan-out": TABLE + r"\input{main}" * 5000,
    "repeated macro argument": r"\newcommand\q[1]{#1#1#1#1#1#1#1#1}" + r"\q{\q{\q{\q{\q{\q{x}}}}}}" * 2000 + TABLE,
    "wide spans": r"\begin{table}\caption{x}\begin{tabular}{cc}\multirow{99999}{*}{x} & \multicolumn{200}{c}{y} \\"
    + "1 & 2 \\\\" * 3000
    + r"\end{tabular}\end{table}",
}


def _paper(body: str) -> PaperSources:
    text = "\\documentclass{article}\\begin{document}\n" + body + "\n\\end{document}\n"
    return PaperSources(arxiv_id="2401.00001", version=1, source=gzip.compress(text.encode()), source_sha256=None)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_unclosed_and_runaway_latex_parses_in_bounded_time(name: str) -> None:
    def timed() -> tuple[ExtractionResult, float]:
        started = time.process_time()
        result = extract(_paper(HOSTILE[name]), ExtractorSettings(max_seconds=20))
        return result, time.process_time() - started

    result, elapsed = timed()
    if elapsed >= PARSE_CPU_S:  # a busy machine can slow even CPU time (shared caches): the better of two
        elapsed = min(elapsed, timed()[1])
    assert elapsed < PARSE_CPU_S, f"{name}: {elapsed:.2f} s of CPU"
    if name == "wide spans":  # 402,000 cells once the spans are laid out: over the per-table cap
        assert result.outcome == "failed" and result.detail.startswith("limit: Table 1 has 402000 cells"), result.detail
        return
    assert result.outcome in ("claims", "no_tables"), result.detail
    if "45.3" in HOSTILE[name]:
        assert {c.citation.quoted_text for c in result.claims} == {"45.3", "43.2"}, name


GROWING = {  # the inputs that were quadratic, as a function of their size
    "unclosed newcommand optional": lambda n: TABLE + r"\newcommand\q[ " * n,
    "unclosed caption optional": lambda n: TABLE + r"\begin{table}\caption[ " * n,
    "runaway row ends": lambda n: (
        r"\begin{table}\caption{x}\begin{tabular}{cc}" + "\\\\[" * (12 * n) + r"\end{tabular}\end{table}"
    ),
}


@pytest.mark.parametrize("name", list(GROWING))
def test_parsing_time_grows_linearly_with_hostile_input(name: str) -> None:
    """Twice the input takes about twice the time (a quadratic parser would take four times)."""

    def cpu(n: int) -> float:
        # the garbage collector's passes scale with what earlier tests left on the heap, not with this input
        gc.collect()
        gc.disable()
        try:
            started = time.process_time()
            extract(_paper(GROWING[name](n)), ExtractorSettings(max_seconds=20))
            return time.process_time() - started
        finally:
            gc.enable()

    small, large = min(cpu(4000) for _ in range(3)), min(cpu(8000) for _ in range(3))
    assert large < 3 * small, f"{name}: {small:.3f} s -> {large:.3f} s of CPU for twice the input"


def test_the_isolated_parser_returns_claims_and_stays_under_the_memory_bound() -> None:
    started = time.monotonic()
    result = extract_isolated(_paper(HOSTILE["unclosed tables"]), ExtractorSettings(max_seconds=20))
    assert time.monotonic() - started < 30
    assert result.outcome == "claims" and len(result.claims) == 2
    # the parser child's own peak (RUSAGE_CHILDREN would count every child this test process ever had)
    assert result.peak_rss_kib is not None and 0 < result.peak_rss_kib < 1_500_000, result.peak_rss_kib


def test_a_parser_over_its_memory_limit_is_a_permanent_failure_with_the_reason() -> None:
    bomb = TABLE + " " * 50_000_000  # 50 MB of text from a 50 KB gzip, under the unpack byte limit
    result = extract_isolated(_paper(bomb), ExtractorSettings(max_memory_bytes=64 * 2**20))
    assert result.outcome == "failed" and not result.claims
    assert result.detail.startswith("limit:") and "64 MiB" in result.detail, result.detail


def test_a_parser_past_its_deadline_is_stopped_with_the_reason() -> None:
    body = TABLE * 400  # 400 result tables: more than a near-zero deadline allows
    result = extract_isolated(_paper(body), ExtractorSettings(max_seconds=0.02, grace_seconds=5.0))
    assert result.outcome == "failed" and result.detail.startswith("limit: extraction over"), result.detail


def test_more_claims_than_the_cap_is_refused_not_truncated() -> None:
    result = extract(_paper(TABLE * 30), ExtractorSettings(max_claims=50))
    assert result.outcome == "failed" and not result.claims
    assert result.detail == (
        "limit: 52 result cells up to Table 26 (reading stopped there), over the cap of 50 "
        "claims per paper (PV_EXTRACT_MAX_CLAIMS)"
    )


def test_a_table_over_the_cell_cap_is_refused_before_it_is_analysed() -> None:
    wide = (
        r"\begin{table}\caption{R}\begin{tabular}{l"
        + "c" * 40
        + "}Model & "
        + " & ".join(["MMLU"] * 40)
        + r" \\ "
        + "".join("Llama-2-7B & " + " & ".join(["45.3"] * 40) + r" \\ " for _ in range(60))
        + r"\end{tabular}\end{table}"
    )
    started = time.monotonic()
    result = extract(_paper(TABLE + wide), ExtractorSettings(max_table_cells=2000))
    assert result.outcome == "failed" and not result.claims
    assert result.detail == (
        "limit: Table 2 has 2501 cells, over the cap of 2000 cells per table (PV_EXTRACT_MAX_TABLE_CELLS)"
    )
    assert time.monotonic() - started < 5


ENTITIES = "".join(f'<!ENTITY {b} "{("&" + a + ";") * 10}">' for a, b in zip("abcdef", "bcdefg", strict=True))
HOSTILE_HTML = {
    "huge spans": (
        '<figure class="ltx_table"><span class="ltx_tag_table">Table 1:</span><table class="ltx_tabular">'
        + ("<tr>" + '<td colspan="1000" rowspan="1000">1</td>' * 20 + "</tr>") * 200
        + "</table></figure>"
    ),
    "billion laughs": f'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">{ENTITIES}]><html><body>&g;</body></html>',
    "deep nesting": "<div>" * 100_000 + "</div>" * 100_000,
    "invalid utf-8": "<html>\udcff</html>" * 10_000,
}


@pytest.mark.parametrize("name", list(HOSTILE_HTML))
def test_hostile_html_changes_nothing_and_takes_no_time(name: str) -> None:
    from pathlib import Path

    eprint = (Path(__file__).resolve().parents[3] / "fixtures/papers/2611.00101/eprint.tar.gz").read_bytes()
    plain = extract(PaperSources("2611.00101", 1, eprint, None))
    html = HOSTILE_HTML[name].encode("utf-8", errors="surrogateescape")
    started = time.process_time()
    result = extract(PaperSources("2611.00101", 1, eprint, None, html=html))
    assert time.process_time() - started < HTML_CPU_S, name
    assert [c.citation.quoted_text for c in result.claims] == [c.citation.quoted_text for c in plain.claims]
