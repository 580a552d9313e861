"""Property-based tests: random and mutated LaTeX, HTML and bytes never crash or hang the extractor.

Each input runs under a wall-clock limit (SIGALRM), so a hang fails the test instead of stalling it.
The LaTeX path is driven through `extract_from_files`, which has no catch-all, so any exception is
a real bug rather than a "failed" outcome.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.extractor.extract import PaperSources, extract, extract_from_files
from services.extractor.html import parse_html_tables
from services.extractor.plaintext import parse_number, to_plain
from tests.unit.extractor.corpus import PAPERS

LIMIT_S = 3.0
T = TypeVar("T")
FUZZ = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

TOKENS = [
    "\\begin{table}",
    "\\end{table}",
    "\\begin{table*}",
    "\\end{table*}",
    "\\begin{tabular}{lcc}",
    "\\end{tabular}",
    "\\begin{subtable}{.5\\linewidth}",
    "\\end{subtable}",
    "\\begin{minipage}{3cm}",
    "\\end{minipage}",
    "&",
    "\\\\",
    "\\multicolumn{2}{c}{",
    "\\multirow{2}{*}{",
    "\\multirow{-3}{*}{",
    "\\multicolumn{99999}{c}{",
    "{",
    "}",
    "[",
    "]",
    "\\caption{",
    "45.2",
    "0.717",
    "$\\pm$0.3",
    "±",
    "--",
    "Llama-3.2-1B",
    "SmolLM2-1.7B",
    "MMLU (5-shot)",
    "HellaSwag",
    "Average",
    "Model",
    "% comment\n",
    "\\%",
    "\\hline",
    "\\toprule",
    "\\midrule",
    "\\cmidrule(lr){2-3}",
    "\\newcommand{\\x}{",
    "\\x",
    "\\def\\y{\\y\\y}",
    "\\y",
    "\\input{main}",
    "\\input{t}",
    "\\appendix",
    "\\section{A}",
    "\\counterwithin{table}{section}",
    "\\renewcommand{\\thetable}{",
    "\\setcounter{table}{",
    "\\textbf{",
    "$",
    "^",
    "_",
    "\\",
    "\\url{https://huggingface.co/a/b}",
    "\\iffalse",
    "\\fi",
    "\n",
    " ",
    "\\begin{comment}",
    "\\end{comment}",
    "\\resizebox{\\linewidth}{!}{",
    "\\rowcolor{gray}",
    "\\cellcolor{red}",
]


@contextmanager
def time_limit(seconds: float = LIMIT_S) -> Iterator[None]:
    def alarm(signum, frame):
        raise TimeoutError(f"input took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def bounded(fn: Callable[[], T]) -> T:
    started = time.monotonic()
    with time_limit():
        out = fn()
    assert time.monotonic() - started < LIMIT_S
    return out


def latex_project(body: str) -> dict[str, str]:
    return {
        "main.tex": "\\documentclass{article}\\begin{document}" + body + "\\end{document}",
        "t.tex": body[: len(body) // 2],
    }


@FUZZ
@given(st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=8)), max_size=120))
def test_random_latex_token_soup_never_crashes(tokens: list[str]) -> None:
    result = bounded(lambda: extract_from_files(latex_project("".join(tokens)), arxiv_id="2611.99999", version=1))
    assert result.outcome in ("claims", "no_tables", "failed")
    for claim in result.claims:
        ev = claim.evidence
        assert claim.citation.quoted_text in latex_project("".join(tokens))[ev.source_file][ev.char_start : ev.char_end]


SOURCE = (PAPERS / "2611.00103" / "src" / "tables" / "main.tex").read_text() + (
    PAPERS / "2611.00104" / "src" / "main.tex"
).read_text().split("\\begin{document}")[1]


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    for _ in range(draw(st.integers(1, 8))):
        n = len(text)
        i = draw(st.integers(0, n))
        j = draw(st.integers(i, min(n, i + 200)))
        op = draw(st.sampled_from(["delete", "duplicate", "insert", "swap"]))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] * draw(st.integers(1, 5)) + text[j:]
        elif op == "insert":
            text = text[:i] + draw(st.sampled_from(TOKENS)) + text[i:]
        else:
            text = text[:i] + text[j : min(n, j + (j - i))] + text[i:j] + text[min(n, j + (j - i)) :]
    return text


@FUZZ
@given(mutated(SOURCE))
def test_mutated_real_latex_never_crashes(body: str) -> None:
    result = bounded(lambda: extract_from_files(latex_project(body), arxiv_id="2611.99999", version=1))
    assert result.outcome in ("claims", "no_tables", "failed")


HTML = (PAPERS / "2611.00108" / "render" / "paper.html").read_text()
HTML_TOKENS = [
    "<figure class='ltx_table'>",
    "</figure>",
    "<table class='ltx_tabular'>",
    "</table>",
    "<tr>",
    "</tr>",
    "<td rowspan='3'>",
    "<td colspan='999'>",
    "<td>",
    "</td>",
    "<th>",
    "45.2",
    "±",
    "Table 1:",
    "<span class='ltx_tag ltx_tag_table'>",
    "</span>",
    "<math>",
    "&amp;",
    "<!--",
    "-->",
    "<",
    ">",
]


@FUZZ
@given(st.one_of(mutated(HTML), st.lists(st.sampled_from(HTML_TOKENS), max_size=200).map("".join)))
def test_mutated_and_random_html_never_crashes(html: str) -> None:
    tables = bounded(lambda: parse_html_tables(html.encode()))
    assert all(isinstance(key, tuple) and grids for key, grids in tables.items())


EPRINT = (PAPERS / "2611.00108" / "eprint.tar.gz").read_bytes()


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=2000),
        mutated(HTML).map(lambda s: s.encode()[:3000]),
        st.integers(0, len(EPRINT) - 1).map(lambda k: EPRINT[:k] + b"\x00" + EPRINT[k + 1 :]),
    )
)
def test_random_bytes_as_eprint_and_html_end_in_an_outcome(data: bytes) -> None:
    result = bounded(lambda: extract(PaperSources("2611.99999", 1, data, None, html=data, pdf=data)))
    assert result.outcome in ("claims", "no_tables", "failed")
    assert not result.detail.startswith("internal error"), result.detail


@FUZZ
@given(st.text(max_size=300))
def test_cell_text_and_numbers_never_crash(text: str) -> None:
    plain = bounded(lambda: to_plain(text))
    number = parse_number(plain)
    assert number is None or number.quoted in plain
