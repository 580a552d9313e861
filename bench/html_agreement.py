"""How LaTeX and LaTeXML's HTML agree on real papers: the measurement behind "LaTeX is authoritative,
HTML corroborates" (README.md, "HTML and LaTeX").

Run: python bench/html_agreement.py RENDER_DIR
RENDER_DIR holds <arxiv id>/paper.html renderings of corpus papers (fixtures/papers/real/<id>/src rendered
with Debian's latexmlc under a time limit; they are not committed). For each paper it prints: labelled
result cells, claims, claims whose HTML cell prints the same number, claims with no HTML cell or another
number, tables missing from the HTML, and how many labelled cells the HTML grid alone finds (the
same value in the same table's HTML grid).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import structlog  # noqa: E402

from services.extractor.extract import PaperSources, extract  # noqa: E402
from services.extractor.html import parse_html_tables  # noqa: E402
from services.extractor.plaintext import parse_number  # noqa: E402
from tests.unit.extractor.real_corpus import real_papers  # noqa: E402


def main() -> int:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    render = Path(sys.argv[1])
    rows = []
    for paper in real_papers():
        html_path = render / paper.arxiv_id / "paper.html"
        if not html_path.is_file():
            continue
        html = html_path.read_bytes()
        sources = paper.sources()
        result = extract(PaperSources(paper.arxiv_id, 1, sources.source, sources.source_sha256, html=html))
        missing_tables = sum(1 for d in result.disagreements if d["claim_id"] is None)
        disagree = sum(1 for d in result.disagreements if d["claim_id"] is not None)
        agree = sum(1 for c in result.claims if c.evidence.html_text is not None) - disagree
        grids = parse_html_tables(html)
        html_values: dict[str, list[str]] = {}
        for (label, tag), tables in grids.items():
            key = label.removeprefix("Table ") + (tag.strip("()") if tag else "")
            for grid in tables:
                for row in grid.rows:
                    for cell in row:
                        number = parse_number(cell.text) if cell is not None else None
                        if number is not None:
                            html_values.setdefault(key, []).append(number.unsigned)
        labelled = [lab for lab in paper.labels if not lab.get("derived")]
        html_found = sum(1 for lab in labelled if lab["value"].lstrip("+-−") in html_values.get(lab["table"], []))
        rows.append((paper.arxiv_id, len(labelled), len(result.claims), agree, disagree, missing_tables, html_found))
    print(
        f"{'paper':<16} {'labelled':>8} {'claims':>7} {'html=':>6} {'html≠':>6} {'tables∅':>7} {'html-only found':>15}"
    )
    for r in rows:
        print(f"{r[0]:<16} {r[1]:>8} {r[2]:>7} {r[3]:>6} {r[4]:>6} {r[5]:>7} {r[6]:>10} ({r[6] / max(r[1], 1):.3f})")
    if rows:
        t = [sum(r[k] for r in rows) for k in range(1, 7)]
        print(
            f"{'total':<16} {t[0]:>8} {t[1]:>7} {t[2]:>6} {t[3]:>6} {t[4]:>7} {t[5]:>10} ({t[5] / max(t[0], 1):.3f}); "
            f"agreement {t[2] / max(t[1], 1):.3f} of claims"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
