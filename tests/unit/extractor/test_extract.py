"""The extractor end to end on small inputs: gate G1, HTML corroboration, outcomes, the CLI."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

from services.cli.extract import extract_command
from services.extractor import extract as extract_module
from services.extractor.extract import PaperSources, extract, extract_from_files
from shared.gates import check_g1
from shared.ids import claim_id, sha256_hex
from shared.models import Claim
from shared.settings import ExtractorSettings
from shared.unpack import unpack_eprint
from tests.unit.extractor.corpus import PAPERS

TABLE = r"""\documentclass{article}
\newcommand{\best}[1]{\textbf{#1}}
\newcommand{\mmluours}{45.2}
\begin{document}
\begin{table}
\caption{Zero-shot results.}
\begin{tabular}{lccc}
\toprule
Model & HellaSwag & MMLU & Avg. \\
\midrule
SmolLM2-1.7B & \best{68.7} & \mmluours & 57.0 \\
Llama-3.2-1B & 61.2 & 31.0 & 46.1 \\
\bottomrule
\end{tabular}
\end{table}
\end{document}
"""


def run(tex: str, **kwargs) -> extract_module.ExtractionResult:
    return extract_from_files({"main.tex": tex}, arxiv_id="2611.99999", version=2, **kwargs)


def test_gate_g1_drops_a_number_that_is_not_written_in_the_cell() -> None:
    result = run(TABLE)
    quoted = {(c.citation.row, c.citation.column): c.citation.quoted_text for c in result.claims}
    assert ("SmolLM2-1.7B", "MMLU") not in quoted  # 45.2 comes from a macro defined elsewhere
    assert quoted[("SmolLM2-1.7B", "HellaSwag")] == "68.7"
    assert result.dropped == [
        {
            "table": "Table 1",
            "row": "SmolLM2-1.7B",
            "column": "MMLU",
            "quoted_text": "45.2",
            "reason": "'45.2' is not written in the cell's source (a macro or computed value?)",
        }
    ]
    assert "1 cells dropped by gate G1" in result.detail


def test_every_claim_passes_the_publishers_g1_check_and_has_a_stable_id() -> None:
    result = run(TABLE)
    assert result.outcome == "claims" and len(result.claims) == 5
    for claim in result.claims:
        assert check_g1(claim, {"main.tex": TABLE}).passed
        assert TABLE[claim.evidence.char_start : claim.evidence.char_end] == claim.evidence.raw_cell
        assert claim.claim_id == claim_id("2611.99999", 2, "Table 1", claim.row_index, claim.col_index)
    assert [c.claim_id for c in run(TABLE).claims] == [c.claim_id for c in result.claims]


def test_average_is_an_aggregate_linked_to_its_components() -> None:
    claims = {(c.citation.row, c.citation.column): c for c in run(TABLE).claims}
    avg = claims[("Llama-3.2-1B", "Avg.")]
    assert avg.protocol.is_aggregate and not avg.measurable and "aggregate" in avg.unmeasurable_reason
    assert avg.components == [claims[("Llama-3.2-1B", "HellaSwag")].claim_id, claims[("Llama-3.2-1B", "MMLU")].claim_id]
    assert "mean is 46.10" in avg.citation.notes
    assert claims[("SmolLM2-1.7B", "Avg.")].components == [claims[("SmolLM2-1.7B", "HellaSwag")].claim_id]


def test_unstated_fields_stay_none_and_the_notes_say_what_the_evaluator_runs() -> None:
    tex = TABLE.replace("Zero-shot results.", "Results.")
    claim = next(c for c in run(tex).claims if c.citation.column == "MMLU")
    # None is "unknown" to the verdict rules: gate C1 then cannot publish `wrong` on an assumption.
    assert claim.protocol.n_shot is None and claim.protocol.metric is None and claim.protocol.formulation is None
    assert "not stated: n_shot" in claim.citation.notes
    assert "metric (the evaluator runs the benchmark default: acc)" in claim.citation.notes
    assert "formulation (the evaluator runs the benchmark default: mcf)" in claim.citation.notes


def test_html_disagreement_is_reported_with_both_values() -> None:
    paper = PAPERS / "2611.00101"
    html = (paper / "render" / "paper.html").read_bytes().replace(b">61.2<", b">61.3<")
    data = (paper / "eprint.tar.gz").read_bytes()
    result = extract(PaperSources("2611.00101", 1, data, sha256_hex(data), html=html))
    assert len(result.disagreements) == 1
    entry = result.disagreements[0]
    assert (entry["row"], entry["column"]) == ("Llama-3.2-1B", "HellaSwag")
    assert (entry["latex"], entry["html"]) == ("61.2", "61.3")
    claim = next(c for c in result.claims if c.claim_id == entry["claim_id"])
    assert claim.citation.quoted_text == "61.2"  # the LaTeX source is authoritative
    assert all(c.evidence.html_element_id for c in result.claims)


def test_pdf_only_and_missing_sources_are_visible_outcomes() -> None:
    pdf = (PAPERS / "2611.00107" / "eprint.pdf").read_bytes()
    result = extract(PaperSources("2611.00107", 1, pdf, sha256_hex(pdf), pdf=pdf))
    assert (result.outcome, result.claims) == ("no_tables", [])
    assert "PDF only" in result.detail and "no tables extracted" in result.detail
    assert extract(PaperSources("x", 1, None, None, pdf=pdf)).outcome == "no_tables"
    assert extract(PaperSources("x", 1, None, None)).outcome == "failed"


def test_unsafe_and_corrupt_archives_fail_with_the_reason() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("../escape.tex")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"abc"))
    result = extract(PaperSources("x", 1, buf.getvalue(), None))
    assert result.outcome == "failed" and "climbs out of the project" in result.detail
    result = extract(PaperSources("x", 1, b"\x1f\x8b garbage", None))
    assert result.outcome == "failed"


def test_papers_without_result_tables_have_no_tables_outcome() -> None:
    no_float = "\\documentclass{article}\\begin{document}Hello\\end{document}"
    assert run(no_float).outcome == "no_tables"
    hyper = TABLE.replace("HellaSwag & MMLU & Avg.", "Layers & Heads & Hidden size")
    hyper = hyper.replace("Zero-shot results.", "Architecture.")
    hyper = hyper.replace("SmolLM2-1.7B", "Config A").replace("Llama-3.2-1B", "Config B")
    result = run(hyper)
    assert result.outcome == "no_tables" and "none with a numeric result" in result.detail
    assert run("just text, no documentclass").outcome == "no_tables"


def test_time_limit_and_internal_errors_become_failed_outcomes(monkeypatch: pytest.MonkeyPatch) -> None:
    data = gzip.compress(TABLE.encode())
    result = extract(PaperSources("x", 1, data, None), ExtractorSettings(max_seconds=0.0))
    assert result.outcome == "failed" and "time limit" in result.detail

    def boom(*args, **kwargs):
        raise RuntimeError("parser bug")

    monkeypatch.setattr(extract_module, "find_tables", boom)
    result = extract(PaperSources("x", 1, data, None))
    assert result.outcome == "failed" and "internal error: RuntimeError: parser bug" in result.detail


def test_single_gzipped_tex_evidence_points_into_main_tex() -> None:
    data = gzip.compress(TABLE.encode())
    result = extract(PaperSources("2611.99999", 2, data, sha256_hex(data)))
    files = unpack_eprint(data)
    assert result.claims and all(check_g1(c, files).passed for c in result.claims)
    assert {c.evidence.source_file for c in result.claims} == {"main.tex"}
    assert {c.source_sha256 for c in result.claims} == {sha256_hex(data)}


def test_cli_prints_claims_as_json_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paper = PAPERS / "2611.00105"
    code = extract_command(
        paper / "eprint.tar.gz", paper / "render" / "paper.html", paper / "render" / "paper.pdf", "2611.00105", 1
    )
    out, err = capsys.readouterr()
    claims = [Claim.model_validate_json(line) for line in out.splitlines()]
    assert code == 0 and len(claims) == 16
    assert "outcome=claims claims=16" in err
    assert json.loads(out.splitlines()[0])["citation"]["section"] == "Table 1"
    source = tmp_path / "src"
    source.mkdir()
    (source / "main.tex").write_text(TABLE)
    assert extract_command(source, None, None, "2611.99999", 1) == 0
    assert len(capsys.readouterr().out.splitlines()) == 5
    bad = tmp_path / "bad.bin"
    bad.write_bytes(bytes(range(256)) * 8)
    assert extract_command(bad, None, None, "2611.99999", 1) == 1


def test_extraction_never_asks_the_hub_and_leaves_unknown_names_to_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("extraction opened a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    data = gzip.compress(TABLE.replace("Llama-3.2-1B", "Zeta-2B").encode())
    zeta = [c for c in extract(PaperSources("x", 1, data, None)).claims if c.model_label == "Zeta-2B"]
    assert zeta and all(c.model_id is None and not c.measurable for c in zeta)
    assert {c.model_resolution.hub_query for c in zeta if c.model_resolution} == {"Zeta-2B"}


def test_a_slow_extraction_stops_at_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    real_find_tables = extract_module.find_tables

    def slow_find_tables(doc, check):
        time.sleep(0.3)
        return real_find_tables(doc, check)

    monkeypatch.setattr(extract_module, "find_tables", slow_find_tables)
    data = gzip.compress(TABLE.encode())
    result = extract(PaperSources("x", 1, data, None), ExtractorSettings(max_seconds=0.2))
    assert result.outcome == "failed" and result.detail == "limit: extraction over 0.2 s"


def test_cli_reads_the_arxiv_id_from_the_path_and_refuses_a_missing_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paper = PAPERS / "2611.00109"
    assert extract_command(paper / "eprint.tex.gz", None, None, None, 1) == 0
    first = json.loads(capsys.readouterr().out.splitlines()[0])
    assert first["arxiv_id"] == "2611.00109" and first["citation"]["pdf_page"] is None
    assert extract_command(None, None, None, None, 1) == 2
    assert extract_command(tmp_path / "missing.tar.gz", None, None, "2611.00109", 1) == 2
    assert "does not exist" in capsys.readouterr().err


def test_cli_on_a_real_paper_folder_prints_only_claims_on_stdout() -> None:
    """`paperverdict extract FOLDER` as a user runs it: JSON lines on stdout (the parser runs in a child
    process whose logs must not leak there), the outcome on stderr."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.cli.main",
            "extract",
            str(root / "fixtures/papers/real/2310.06825/src"),
            "--arxiv-id",
            "2310.06825",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=root,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    claims = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(claims) >= 60 and {c["arxiv_id"] for c in claims} == {"2310.06825"}
    assert {c["table_label"] for c in claims} >= {"Table 2", "Table 3"}
    assert done.stderr.strip().splitlines()[-1].startswith("outcome=claims claims=")


PAIRS = r"""\documentclass{article}
\begin{document}
\begin{table}
\caption{Overall performance of chat models.}
\begin{tabular}{lccc}
\toprule
Model & MMLU & TruthfulQA & GSM8K \\
 & 0-shot / 5-shot & 0-shot & 0-shot / 4-shot \\
\midrule
Llama-2-13B-Chat & 50.9 / 47.3 & 36.8 & \textbf{36.9} / 2.7 \\
Mistral-7B-v0.1 & 58.2 / 61.0 & 50.6 & 38.4 / 44.9 \\
GPT-4 & - / 83.0 & -- & - / 91.4 \\
\bottomrule
\end{tabular}
\end{table}
\begin{table}
\caption{Results.}
\begin{tabular}{lc}
\toprule
Model & MMLU \\
\midrule
Llama-2-13B-Chat & 50.9 / 47.3 \\
Mistral-7B-v0.1 & 58.2 / 61.0 \\
\bottomrule
\end{tabular}
\end{table}
\end{document}
"""


def test_a_cell_with_two_results_under_a_header_naming_both_gives_two_claims() -> None:
    """Yi's chat table prints "50.9 / 47.3" under "0-shot / 5-shot": one claim per number, each with
    its half of the header, its own id, and the cell as evidence (gate G1 finds each number in it)."""
    result = run(PAIRS)
    claims = {(c.citation.row, c.citation.column): c for c in result.claims if c.table_label == "Table 1"}
    assert sorted(k for k in claims if k[0] != "GPT-4") == sorted(
        (model, column)
        for model in ("Llama-2-13B-Chat", "Mistral-7B-v0.1")
        for column in ("MMLU / 0-shot", "MMLU / 5-shot", "TruthfulQA / 0-shot", "GSM8K / 0-shot", "GSM8K / 4-shot")
    )
    zero, five = claims[("Llama-2-13B-Chat", "MMLU / 0-shot")], claims[("Llama-2-13B-Chat", "MMLU / 5-shot")]
    assert (zero.citation.quoted_text, zero.protocol.n_shot) == ("50.9", 0)
    assert (five.citation.quoted_text, five.protocol.n_shot) == ("47.3", 5)
    assert (zero.row_index, zero.col_index) == (five.row_index, five.col_index)
    assert zero.claim_id == claim_id("2611.99999", 2, "Table 1", zero.row_index, zero.col_index, 1)
    assert five.claim_id == claim_id("2611.99999", 2, "Table 1", zero.row_index, zero.col_index, 2)
    assert zero.claim_id != claim_id("2611.99999", 2, "Table 1", zero.row_index, zero.col_index)
    assert "result 2 of the two the cell prints ('50.9 / 47.3')" in five.citation.notes
    bold = claims[("Llama-2-13B-Chat", "GSM8K / 0-shot")]
    assert (bold.citation.quoted_text, bold.protocol.n_shot, bold.protocol.benchmark) == ("36.9", 0, "gsm8k")
    assert claims[("Mistral-7B-v0.1", "GSM8K / 4-shot")].protocol.n_shot == 4
    assert zero.model_id == "meta-llama/Llama-2-13b-chat-hf" and zero.measurable and five.measurable
    # "- / 83.0": only the half that prints a result is a claim (its id is still the second half's)
    gpt4 = {column: c for (row, column), c in claims.items() if row == "GPT-4"}
    assert sorted(gpt4) == ["GSM8K / 4-shot", "MMLU / 5-shot"]
    assert (gpt4["MMLU / 5-shot"].citation.quoted_text, gpt4["MMLU / 5-shot"].protocol.n_shot) == ("83.0", 5)
    mmlu = gpt4["MMLU / 5-shot"]
    assert mmlu.claim_id == claim_id("2611.99999", 2, "Table 1", mmlu.row_index, mmlu.col_index, 2)
    for claim in result.claims:
        assert check_g1(claim, {"main.tex": PAIRS}).passed
        if "TruthfulQA" not in claim.citation.column:
            cells = ("50.9 / 47.3", "58.2 / 61.0", r"\textbf{36.9} / 2.7", "38.4 / 44.9", "- / 83.0", "- / 91.4")
            assert claim.evidence.raw_cell.strip() in cells


def test_a_cell_with_two_results_under_a_header_naming_one_gives_none() -> None:
    """Under a bare "MMLU" nothing says which number is which: the cells stay unread."""
    assert [c for c in run(PAIRS).claims if c.table_label == "Table 2"] == []


def test_html_corroborates_either_number_of_a_pair() -> None:
    assert extract_module._agrees("50.9 / 47.3", "50.9") and extract_module._agrees("50.9 / 47.3", "47.3")
    assert not extract_module._agrees("50.9 / 47.3", "50.0") and not extract_module._agrees("50.9 / 47.3 / 1.0", "1.0")


def test_yis_chat_table_reads_both_results_of_every_pair_cell() -> None:
    """The real table (2403.04652, Table 4, unlabelled): 11 models x 5 pair columns x 2 results, and 70
    of the 120 claims measurable (docs/extractor.md)."""
    from tests.unit.extractor.real_corpus import real_papers

    paper = next(p for p in real_papers() if p.arxiv_id == "2403.04652")
    pairs = [c for c in extract(paper.sources()).claims if "of the two the cell prints" in c.citation.notes]
    assert {c.table_label for c in pairs} == {"Table 4"}
    assert (len(pairs), sum(c.measurable for c in pairs)) == (120, 70)
    by_cell = {(c.citation.row, c.citation.column): c for c in pairs}
    yi = by_cell[("Yi-Chat / 34B", "BBH / 3-shot")]
    assert (yi.citation.quoted_text, yi.protocol.n_shot, yi.model_id) == ("71.7", 3, "01-ai/Yi-34B-Chat")
    assert by_cell[("LLaMA2-Chat / 13B", "GSM8K / 4-shot")].citation.quoted_text == "2.7"
