"""Small LaTeX documents for extractor tests (a helper module, not a test module)."""

from __future__ import annotations

from services.extractor.latex import Document, collect_macros, flatten


def doc_of(body: str, preamble: str = "", extra: dict[str, str] | None = None) -> Document:
    files = {"main.tex": f"\\documentclass{{article}}{preamble}\\begin{{document}}{body}\\end{{document}}"}
    files.update(extra or {})
    doc = flatten(files, "main.tex")
    doc.macros = collect_macros(doc.text)
    return doc
