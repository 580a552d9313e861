"""The extractor's entry point: e-print (+ HTML, PDF) -> grounded claims, one per numeric result cell.

Pure: no network (the Hub search is off unless settings enable it), no database. The Kafka handler
(`app.py`) and the CLI call `extract`. Gate G1 is applied here: a claim leaves only if its quoted
text is found, as a whole number, in the source file at its cell's span. The HTML corroborates cell
by cell; disagreements are returned with both values.
"""

from __future__ import annotations

import difflib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal, Protocol, TypeVar

from services.extractor.body import TableView, paper_protocol
from services.extractor.claims import (
    Candidate,
    evidence_for,
    link_aggregates,
    table_candidates,
)
from services.extractor.floats import TableSource, find_tables
from services.extractor.headers import Layout, analyse
from services.extractor.html import MAX_HTML_BYTES, HtmlGrid, parse_html_tables
from services.extractor.latex import (
    Document,
    SourceError,
    collect_macros,
    find_main,
    flatten,
    mask_comments,
)
from services.extractor.models import ModelResolver, collect_links
from services.extractor.pdf import PdfPages
from services.extractor.plaintext import find_number_token, parse_number, plain_label
from services.extractor.protocol import (
    CaptionInfo,
    parse_caption,
    parse_label,
)
from services.extractor.skipped import skipped_lines
from services.extractor.skipped import summary as skipped_summary
from shared.gates import check_g1
from shared.logging import get_logger
from shared.models import Claim
from shared.settings import ExtractorSettings
from shared.unpack import ArchiveError, ArchiveTooLarge, detect_format, unpack_eprint

log = get_logger(__name__)
Outcome = Literal["claims", "no_tables", "failed"]
T = TypeVar("T")


@dataclass(frozen=True)
class PaperSources:
    arxiv_id: str
    version: int
    source: bytes | None  # the e-print bytes exactly as arXiv served them (tar.gz, gzipped .tex, or PDF)
    source_sha256: str | None
    html: bytes | None = None  # LaTeXML HTML, if arXiv offered it
    pdf: bytes | None = None


@dataclass
class ExtractionResult:
    claims: list[Claim]
    outcome: Outcome
    detail: str
    disagreements: list[dict[str, Any]] = field(default_factory=list)  # LaTeX vs HTML, each with both values
    dropped: list[dict[str, Any]] = field(default_factory=list)  # cells that failed gate G1, with the reason
    peak_rss_kib: int | None = None  # the isolated parser process's peak resident memory
    # numeric rows and columns of result tables that gave no claim, with the rule (services/extractor/skipped.py)
    skipped: list[dict[str, Any]] = field(default_factory=list)


class ExtractionTimeout(RuntimeError):
    pass


class CapExceeded(RuntimeError):
    """A paper over a cap (cells in one table, claims per paper): refused as soon as it is known."""


class Caps(Protocol):
    max_claims: int
    max_table_cells: int


def extract(sources: PaperSources, settings: ExtractorSettings | None = None) -> ExtractionResult:
    """Claims of one paper version. Nothing here touches the network: model names are resolved from the
    paper's links and the bundled index; the Hub is asked afterwards (`hub_resolution.py`)."""
    settings = settings or ExtractorSettings()
    started = time.monotonic()
    try:
        result = _extract(sources, settings)
    except ExtractionTimeout:
        result = ExtractionResult([], "failed", f"limit: extraction over {settings.max_seconds:g} s")
    except MemoryError:
        raise  # the isolated process reports it with its limit (services/extractor/isolated.py)
    except Exception as exc:  # a paper that breaks the parser is reported as failed, never crashes the service
        log.exception("extraction_crashed", arxiv_id=sources.arxiv_id)
        result = ExtractionResult([], "failed", f"internal error: {type(exc).__name__}: {exc}")
    log.info(
        "extraction_finished",
        arxiv_id=sources.arxiv_id,
        outcome=result.outcome,
        claims=len(result.claims),
        disagreements=len(result.disagreements),
        dropped=len(result.dropped),
        seconds=round(time.monotonic() - started, 3),
    )
    return result


def _extract(sources: PaperSources, settings: ExtractorSettings) -> ExtractionResult:
    deadline = time.monotonic() + settings.max_seconds

    def check() -> None:
        if time.monotonic() > deadline:
            raise ExtractionTimeout

    if sources.source is None:
        if sources.pdf:
            return ExtractionResult([], "no_tables", "no LaTeX source, only a PDF: no tables extracted")
        return ExtractionResult([], "failed", "no e-print source was given")
    kind = detect_format(sources.source)
    if kind == "pdf":
        return ExtractionResult(
            [],
            "no_tables",
            "the e-print is a PDF only (no LaTeX source): no tables extracted, "
            "because a claim must be grounded in the source",
        )
    if kind == "none":
        return ExtractionResult([], "failed", "the e-print is neither a tar archive, a (gzipped) .tex file nor a PDF")
    try:
        files = unpack_eprint(
            sources.source,
            max_bytes=settings.max_unpacked_bytes,
            max_files=settings.max_files,
            max_seconds=settings.max_seconds,
        )
    except ArchiveTooLarge as exc:
        return ExtractionResult([], "failed", f"limit: {exc}")
    except ArchiveError as exc:
        return ExtractionResult([], "failed", f"unpacking the e-print failed: {exc}")
    try:
        return extract_from_files(
            files,
            arxiv_id=sources.arxiv_id,
            version=sources.version,
            source_sha256=sources.source_sha256,
            html=sources.html,
            pdf=sources.pdf,
            check=check,
            caps=settings,
        )
    except CapExceeded as exc:
        return ExtractionResult([], "failed", f"limit: {exc}")


class HtmlUnusable(Exception):
    """Anything that goes wrong on the HTML path. The HTML only corroborates, so it is dropped with a
    note and the claims are extracted again from the LaTeX alone: no HTML problem costs a claim."""


def extract_from_files(
    files: dict[str, str],
    *,
    arxiv_id: str,
    version: int,
    source_sha256: str | None = None,
    html: bytes | None = None,
    pdf: bytes | None = None,
    check: Callable[[], None] = lambda: None,
    caps: Caps | None = None,
) -> ExtractionResult:
    """The extractor on an unpacked project (no catch-all: the fuzz tests call this directly).
    `caps` (the settings) raise `CapExceeded` as soon as a table or the claims so far go over them."""
    try:
        return _extract_from_files(files, arxiv_id, version, source_sha256, html, pdf, check, caps)
    except HtmlUnusable as exc:
        log.warning("html_dropped", arxiv_id=arxiv_id, reason=str(exc)[:500])
        result = _extract_from_files(files, arxiv_id, version, source_sha256, None, pdf, check, caps)
        result.detail += f"; HTML dropped ({str(exc)[:300]}): claims from the LaTeX alone"
        return result


def _extract_from_files(
    files: dict[str, str],
    arxiv_id: str,
    version: int,
    source_sha256: str | None,
    html: bytes | None,
    pdf: bytes | None,
    check: Callable[[], None],
    caps: Caps | None,
) -> ExtractionResult:
    main = find_main(files)
    if main is None:
        return ExtractionResult(
            [], "no_tables", "the source has no .tex file with \\documentclass: no tables extracted"
        )
    try:
        doc = flatten(files, main)
    except SourceError as exc:
        return ExtractionResult([], "failed", str(exc))
    doc.macros = collect_macros(doc.text)
    check()
    tables = find_tables(doc, check)
    if not tables:
        return ExtractionResult([], "no_tables", f"no tabular inside a table float in {main}: no tables extracted")
    body, sections = paper_protocol(doc, tables)
    check()
    tex_texts = (mask_comments(t) for p, t in files.items() if p.endswith((".tex", ".bbl", ".ltx")))
    resolver = ModelResolver(collect_links(tex_texts), arxiv_id, text=doc.text.lower())
    html_tables = _html_tables(html) if html else {}
    pdf_pages = PdfPages(pdf, check)
    claims: list[Claim] = []
    disagreements: list[dict[str, Any]] = []
    dropped: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    result_tables = 0
    captions = [parse_caption(t.caption, t.notes) for t in tables]
    paper_named = [named for c in captions for named in c.named]
    for table, section, caption in zip(tables, sections, captions, strict=True):
        check()
        _check_table_cells(table, caps)
        layout = analyse(table.grid, resolver)
        if layout is None:
            continue
        caption.paper_named = paper_named
        if not _is_results_table(layout, caption, resolver):
            continue

        view = TableView(body, {table.main_label, table.label}, section)
        candidates = table_candidates(
            table,
            layout,
            doc,
            caption,
            resolver,
            arxiv_id=arxiv_id,
            version=version,
            source_sha256=source_sha256,
            body=view,
        )
        skipped.extend(
            skipped_lines(table.label, table.grid, layout, caption, ((c.cell.row, c.cell.col) for c in candidates))
        )
        if not candidates:
            continue
        if caps is not None and len(claims) + len(candidates) > caps.max_claims:
            raise CapExceeded(
                f"{len(claims) + len(candidates)} result cells up to {table.printed} (reading stopped "
                f"there), over the cap of {caps.max_claims} claims per paper (PV_EXTRACT_MAX_CLAIMS)"
            )
        result_tables += 1
        grounded = [c for c in candidates if _ground(c, doc, dropped)]
        if html:
            disagreements.extend(_html_path(partial(_html_disagreements, table, grounded, html_tables, True)))
        page = pdf_pages.page_of(table.printed, [c.number.quoted for c in candidates])
        for c in grounded:
            c.claim.citation.pdf_page = page
        link_aggregates(grounded)
        claims.extend(c.claim for c in grounded)
    if not claims:
        detail = (
            f"{len(tables)} tables found, none with a numeric result of a named model on a benchmark"
            if not result_tables
            else f"{result_tables} result tables, but no cell passed gate G1"
        )
        return ExtractionResult(
            [], "no_tables", _with_skipped(detail, skipped), disagreements, dropped, skipped=skipped
        )
    detail = f"{len(claims)} claims from {result_tables} of {len(tables)} tables"
    if dropped:
        detail += f"; {len(dropped)} cells dropped by gate G1"
    return ExtractionResult(claims, "claims", _with_skipped(detail, skipped), disagreements, dropped, skipped=skipped)


def _with_skipped(detail: str, skipped: list[dict[str, Any]]) -> str:
    return f"{detail}; {skipped_summary(skipped)}" if skipped else detail


def _check_table_cells(table: TableSource, caps: Caps | None) -> None:
    cells = sum(len(row.cells) for row in table.grid.rows)
    if caps is not None and cells > caps.max_table_cells:
        raise CapExceeded(
            f"{table.printed} has {cells} cells, over the cap of {caps.max_table_cells} "
            f"cells per table (PV_EXTRACT_MAX_TABLE_CELLS)"
        )


def _html_path(step: Callable[[], T]) -> T:
    """Run one step over the HTML; whatever it raises (entities, encodings, malformed structure,
    memory, recursion) makes the HTML unusable, never the paper."""
    try:
        return step()
    except (ExtractionTimeout, CapExceeded):
        raise
    except Exception as exc:
        raise HtmlUnusable(f"{type(exc).__name__}: {exc}") from exc


def _html_tables(html: bytes) -> dict[tuple[str, str | None], list[HtmlGrid]]:
    if len(html) > MAX_HTML_BYTES:
        raise HtmlUnusable(f"limit: HTML of {len(html)} bytes, over {MAX_HTML_BYTES}")
    return _html_path(lambda: parse_html_tables(html))


def _html_disagreements(
    table: TableSource,
    grounded: list[Candidate],
    html_tables: dict[tuple[str, str | None], list[HtmlGrid]],
    have_html: bool,
) -> list[dict[str, Any]]:
    """Where arXiv's HTML rendering of the table disagrees with the LaTeX (or lacks the table)."""
    html_grid = _html_grid(html_tables, table)
    if have_html and html_grid is None:
        return [
            {
                "table": table.label,
                "claim_id": None,
                "latex": f"{len(grounded)} claims",
                "html": None,
                "detail": "the table is not in the HTML rendering",
            }
        ]
    return _corroborate(table, html_grid, grounded) if html_grid is not None else []


def _is_results_table(layout: Layout, caption: CaptionInfo, resolver: ModelResolver) -> bool:
    """A table of results: a named model (or an ablation) on at least one result column or row."""
    model_like = any(
        resolver.looks_like_model(" ".join(e.levels)) or resolver.looks_like_model(e.levels[-1])
        for e in layout.model_axis
    )
    # rows that are methods, retrievers or data mixes, scored on benchmarks we recognise, are results too
    infos = [parse_label(" ".join(e.levels)) for e in layout.bench_axis]
    benchmarks = any(i.benchmark or i.known_benchmark or (caption.results and i.metric) for i in infos)
    return model_like or caption.ablation or benchmarks


def _ground(c: Candidate, doc: Document, dropped: list[dict[str, Any]]) -> bool:
    """Gate G1: the quoted number is in the source file at the cell's span, as a whole number."""
    claim = c.claim
    evidence = evidence_for(doc, c.cell)
    reason = None
    if evidence is None:
        reason = "the cell spans more than one source file"
    else:
        quoted = claim.citation.quoted_text
        if find_number_token(c.cell.raw, quoted) < 0:
            unsigned = c.number.unsigned
            if unsigned != quoted and find_number_token(c.cell.raw, unsigned) >= 0:
                claim.citation.quoted_text = unsigned  # "$-$1.2": the sign is printed by math, not in the text
            else:
                reason = f"{quoted!r} is not written in the cell's source (a macro or computed value?)"
        if reason is None:
            evidence.statements = c.statements
            claim.evidence = evidence
            outcome = check_g1(claim, doc.files)
            if not outcome.passed:
                reason = outcome.detail
    if reason is not None:
        dropped.append(
            {
                "table": claim.table_label,
                "row": claim.citation.row,
                "column": claim.citation.column,
                "quoted_text": claim.citation.quoted_text,
                "reason": reason,
            }
        )
        log.info(
            "claim_dropped",
            table=claim.table_label,
            row=claim.citation.row,
            column=claim.citation.column,
            reason=reason,
        )
        return False
    return True


def _html_grid(html_tables: dict[tuple[str, str | None], list[HtmlGrid]], table: TableSource) -> HtmlGrid | None:
    main, tag, index = table.html_key
    grids = html_tables.get((main, tag)) or []
    return grids[index] if index < len(grids) else None


def _signature(texts: list[str]) -> str:
    return re.sub(r"[^0-9a-z]+", "", " ".join(texts).lower())


def _align_rows(table: TableSource, grid: HtmlGrid) -> dict[int, int]:
    latex_rows = [row for row in table.grid.rows if any(not cell.empty for cell in row.cells)]
    html_rows = grid.nonempty_rows()
    if len(latex_rows) == len(html_rows):
        return {row.index: h for row, h in zip(latex_rows, html_rows, strict=True)}
    lsig = [_signature([plain_label(c.text) for c in dict.fromkeys(row.cells)]) for row in latex_rows]
    hsig = [_signature([c.text for c in dict.fromkeys(x for x in grid.rows[h] if x is not None)]) for h in html_rows]
    mapping: dict[int, int] = {}
    for block in difflib.SequenceMatcher(None, lsig, hsig, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            mapping[latex_rows[block.a + k].index] = html_rows[block.b + k]
    return mapping


def _corroborate(table: TableSource, grid: HtmlGrid, candidates: list[Candidate]) -> list[dict[str, Any]]:
    rows = _align_rows(table, grid)
    same_width = bool(grid.rows) and len(grid.rows[0]) == table.grid.ncols
    out = []
    for c in candidates:
        claim = c.claim
        quoted = claim.citation.quoted_text.lstrip("+-−")
        h_row = rows.get(claim.row_index)
        html_cell = grid.cell(h_row, claim.col_index) if h_row is not None else None
        agree = _agrees(html_cell.text if html_cell else None, quoted)
        if not agree and h_row is not None and not same_width:
            html_cell = next((x for x in grid.rows[h_row] if x is not None and _agrees(x.text, quoted)), html_cell)
            agree = html_cell is not None and _agrees(html_cell.text, quoted)
        if html_cell is not None:
            claim.evidence.html_element_id = f"{grid.element_id}#r{html_cell.row}c{html_cell.col}"
            claim.evidence.html_text = html_cell.text
        if not agree:
            entry = {
                "table": claim.table_label,
                "claim_id": claim.claim_id,
                "row": claim.citation.row,
                "column": claim.citation.column,
                "latex": claim.citation.quoted_text,
                "html": html_cell.text if html_cell else None,
                "detail": "the HTML cell prints another value" if html_cell else "no HTML cell at this position",
            }
            log.warning("html_disagreement", **{k: v for k, v in entry.items() if k != "detail"})
            claim.citation.notes += f"; HTML disagrees: {entry['html']!r}"
            out.append(entry)
    return out


def _agrees(html_text: str | None, quoted: str) -> bool:
    """The HTML cell prints the quoted number: as its one result, or as one of a "50.9 / 47.3" pair."""
    if not html_text:
        return False
    number = parse_number(html_text)
    if number is None and html_text.count("/") == 1:
        return any(
            (half := parse_number(part)) is not None and half.unsigned == quoted for part in html_text.split("/")
        )
    return number is not None and number.unsigned == quoted
