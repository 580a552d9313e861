"""Real table snippets (tests/unit/extractor/snippets/NN_name.tex with hand labels in NN_name.json):
each float is put in a minimal document and extracted; shared by the snippet test and the scorer CLI."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from services.extractor.extract import ExtractionResult, extract_from_files
from shared.benchmarks import BENCHMARKS

SNIPPETS = Path(__file__).resolve().parent / "snippets"


@dataclass
class SnippetScore:
    name: str
    labelled: int = 0
    found: int = 0
    invented: list[str] = field(default_factory=list)
    bench_wrong: list[str] = field(default_factory=list)
    derived_measurable: list[str] = field(default_factory=list)
    table_ok: bool = True
    tables: set[str] = field(default_factory=set)


def snippet_names() -> list[str]:
    return sorted(p.stem for p in SNIPPETS.glob("*.tex"))


def run_snippet(name: str) -> tuple[ExtractionResult, dict]:
    tex = (SNIPPETS / f"{name}.tex").read_text()
    doc = "\\documentclass{article}\n\\begin{document}\n" + tex + "\n\\end{document}\n"
    result = extract_from_files({"main.tex": doc}, arxiv_id="2401.00001", version=1)
    return result, json.loads((SNIPPETS / f"{name}.json").read_text())


def score_snippet(name: str) -> SnippetScore:
    result, labels = run_snippet(name)
    score = SnippetScore(name)
    wanted = Counter(c["value"].lstrip("+-−") for c in labels["cells"])
    results = Counter(c["value"].lstrip("+-−") for c in labels["cells"] if not c.get("derived"))
    by_value: dict[str, list[dict]] = {}
    for c in labels["cells"]:
        by_value.setdefault(c["value"].lstrip("+-−"), []).append(c)
    score.labelled = sum(results.values())
    got = Counter()
    for claim in result.claims:
        quoted = claim.citation.quoted_text.lstrip("+-−")
        score.tables.add(claim.table_label.removeprefix("Table "))
        got[quoted] += 1
        if got[quoted] > wanted.get(quoted, 0):
            score.invented.append(f"{claim.table_label} {claim.citation.row!r}/{claim.citation.column!r} {quoted}")
            continue
        labs = by_value.get(quoted, [])
        if labs and all(lab.get("derived") for lab in labs) and claim.measurable:
            score.derived_measurable.append(quoted)
        keys = {
            lab.get("benchmark") if lab.get("benchmark") in BENCHMARKS else None
            for lab in labs
            if not lab.get("derived")
        }
        if keys and claim.protocol.benchmark not in keys and not claim.protocol.derived:
            score.bench_wrong.append(f"{quoted}: {claim.protocol.benchmark} for {keys}")
    score.found = sum(min(got[v], n) for v, n in results.items())
    expected_tables = {c.get("table", labels["table_number_if_first_table"]) for c in labels["cells"]}
    score.table_ok = score.tables <= expected_tables
    return score
