"""No silent drops (issue 19): a method column named "X Layer" yields claims, and every numeric row or
column of a result table that gives no claim is listed with the rule that skipped it, in the outcome
and by `paperverdict extract -v`."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from services.extractor.extract import extract_from_files
from services.extractor.protocol import parse_label

ROOT = Path(__file__).resolve().parents[3]

# DeepSeekMoE's comparison table (arXiv 2401.06066, Table 1), where the "Hash Layer" column vanished
MOE = r"""\documentclass{article}\begin{document}
\begin{table}\caption{Evaluation results of DeepSeekMoE 2B and its baselines.}
\begin{tabular}{llccccc}\toprule
Metric & \# Shot & Dense & Hash Layer & Switch & GShard & DeepSeekMoE \\
 & & 0.2B & 2.0B & 2.0B & 2.0B & 2.0B \\ \midrule
\# Activated Params & N/A & 0.2 & 0.2 & 0.2 & 0.3 & 0.3 \\ \midrule
Pile (Loss) & N/A & 2.060 & 1.932 & 1.881 & 1.867 & 1.808 \\
HellaSwag (Acc.) & 0-shot & 38.8 & 46.2 & 49.1 & 50.5 & 54.8 \\
PIQA (Acc.) & 0-shot & 66.8 & 68.4 & 70.5 & 70.6 & 72.3 \\
ARC-easy (Acc.) & 0-shot & 41.0 & 45.3 & 45.9 & 43.9 & 49.4 \\
ARC-challenge (Acc.) & 0-shot & 26.0 & 28.2 & 30.2 & 31.6 & 34.3 \\
TriviaQA (EM) & 5-shot & 4.9 & 6.5 & 8.9 & 10.2 & 16.6 \\
\bottomrule\end{tabular}\end{table}
\end{document}"""

MODELS_IN_ROWS = r"""\documentclass{article}\begin{document}
\begin{table}\caption{Two models.}
\begin{tabular}{lcccc}\toprule
Model & Params & HellaSwag & Spearman & Per-sample \\ \midrule
Llama-2-7B & 7 & 76.1 & 0.41 & 12 \\
Mistral-7B & 7 & 81.3 & 0.52 & 14 \\
\bottomrule\end{tabular}\end{table}
\end{document}"""


def test_a_method_column_named_x_layer_yields_its_claims() -> None:
    result = extract_from_files({"main.tex": MOE}, arxiv_id="2401.06066", version=1)
    per_column = Counter(c.col_index for c in result.claims)  # Dense, Hash Layer, Switch, GShard, DeepSeekMoE
    assert per_column == {2: 6, 3: 6, 4: 6, 5: 6, 6: 6}
    hash_layer = sorted(c.citation.reported_value for c in result.claims if c.col_index == 3)
    assert hash_layer == [1.932, 6.5, 28.2, 45.3, 46.2, 68.4]


@pytest.mark.parametrize(
    ("label", "hyper"),
    [
        ("Hash Layer", False),
        ("Switch Layer 2.0B", False),
        ("Layers", True),
        ("# Layers", True),
        ("Num Layer", True),
        ("Layer", True),
        ("Transformer Layers", True),
        ("Params", True),
    ],
)
def test_a_named_layer_is_a_name_and_a_count_of_layers_a_hyper_parameter(label: str, hyper: bool) -> None:
    assert parse_label(label).hyper is hyper


def test_the_activated_params_row_is_listed_with_its_rule() -> None:
    result = extract_from_files({"main.tex": MOE}, arxiv_id="2401.06066", version=1)
    assert result.skipped == [
        {
            "table": "Table 1",
            "axis": "row",
            "index": 2,
            "label": "# Activated Params",
            "numbers": 5,
            "rule": "hyper-parameter label '# Activated Params': a size, count or setting, not a result",
        }
    ]
    assert result.detail == (
        "30 claims from 1 of 1 tables; 1 numeric rows/columns of result tables skipped (Table 1 row "
        "'# Activated Params': hyper-parameter label '# Activated Params': a size, count or setting, not a result)"
    )


def test_every_skipped_column_has_its_rule_and_the_claimed_ones_are_not_listed() -> None:
    result = extract_from_files({"main.tex": MODELS_IN_ROWS}, arxiv_id="2611.09999", version=1)
    assert sorted(c.citation.reported_value for c in result.claims) == [76.1, 81.3]
    assert [(s["axis"], s["label"], s["numbers"]) for s in result.skipped] == [
        ("column", "Params", 2),
        ("column", "Spearman", 2),
        ("column", "Per-sample", 2),
    ]
    rules = [s["rule"] for s in result.skipped]
    assert rules[0] == "hyper-parameter column: the header 'Params' reads like a size, count or setting"
    assert rules[1].startswith("the label 'Spearman' names no benchmark, metric or shot count")
    assert "3 numeric rows/columns of result tables skipped (Table 1 column 'Params': hyper-parameter" in result.detail


def test_extract_verbose_prints_each_skipped_line(tmp_path: Path) -> None:
    paper = tmp_path / "main.tex"
    paper.write_text(MODELS_IN_ROWS)
    done = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "extract", str(paper), "-v"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    skipped = [json.loads(line[len("skipped ") :]) for line in done.stderr.splitlines() if line.startswith("skipped ")]
    assert [s["label"] for s in skipped] == ["Params", "Spearman", "Per-sample"]
    assert len(done.stdout.splitlines()) == 2
    quiet = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "extract", str(paper)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert "skipped {" not in quiet.stderr and "3 numeric rows/columns of result tables skipped" in quiet.stderr
