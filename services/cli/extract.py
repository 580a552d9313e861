"""`paperverdict extract SOURCE [--html FILE] [--pdf FILE]`: claims as JSON lines on stdout, offline.

SOURCE is an e-print as arXiv serves it (tar.gz, gzipped .tex, PDF), a plain .tex file, or a folder
holding a LaTeX project. The outcome, disagreements and dropped cells go to stderr.
"""

from __future__ import annotations

import io
import json
import re
import sys
import tarfile
from pathlib import Path

from services.extractor.extract import ExtractionResult, PaperSources
from services.extractor.isolated import extract_isolated
from shared.ids import sha256_hex
from shared.logging import configure_cli_logging
from shared.settings import ExtractorSettings, LogSettings
from shared.unpack import TEXT_SUFFIXES

_ARXIV_IN_PATH = re.compile(r"(\d{4}\.\d{4,5})(?:v\d+)?")


def extract_command(
    source: Path | None,
    html: Path | None,
    pdf: Path | None,
    arxiv_id: str | None,
    version: int,
    *,
    verbose: bool = False,
) -> int:
    """Print one JSON line per claim; return 0 on claims or no tables, 1 when extraction failed, 2 on
    bad arguments. Without `arxiv_id`, the ID is read from the path (fixtures/papers/2611.00101/...)."""
    if source is None or not source.exists():
        print(
            f"extract: SOURCE {str(source) if source else ''!r} does not exist: give an e-print file "
            "(tar.gz, tex.gz, .tex, PDF) or a folder with a LaTeX project",
            file=sys.stderr,
        )
        return 2
    arxiv_id = arxiv_id or _arxiv_id_from_path(source)
    configure_cli_logging()  # stdout carries the claims: logs go to stderr
    html_bytes = html.read_bytes() if html else None
    pdf_bytes = pdf.read_bytes() if pdf else None
    data = _pack_folder(source) if source.is_dir() else source.read_bytes()
    result = extract_isolated(
        PaperSources(
            arxiv_id=arxiv_id,
            version=version,
            source=data,
            source_sha256=sha256_hex(data),
            html=html_bytes,
            pdf=pdf_bytes,
        ),
        ExtractorSettings(),
        LogSettings(level="WARNING"),
    )
    _print(result, verbose)
    return 1 if result.outcome == "failed" else 0


def _pack_folder(folder: Path) -> bytes:
    """A LaTeX project folder as the gzipped tar arXiv would serve (its text files, sorted, no links)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink() and path.suffix.lower() in TEXT_SUFFIXES:
                data = path.read_bytes()
                info = tarfile.TarInfo(path.relative_to(folder).as_posix())
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _arxiv_id_from_path(path: Path) -> str:
    for part in reversed(path.resolve().parts):
        m = _ARXIV_IN_PATH.search(part)
        if m:
            return m.group(1)
    return "local"


def _print(result: ExtractionResult, verbose: bool = False) -> None:
    for claim in result.claims:
        sys.stdout.write(claim.model_dump_json() + "\n")
    sys.stdout.flush()
    for entry in result.disagreements:
        print(f"html_disagreement {json.dumps(entry)}", file=sys.stderr)
    for entry in result.dropped:
        print(f"dropped {json.dumps(entry)}", file=sys.stderr)
    for entry in result.skipped if verbose else ():
        print(f"skipped {json.dumps(entry)}", file=sys.stderr)
    peak = f" [parser peak {result.peak_rss_kib // 1024} MiB]" if result.peak_rss_kib else ""
    print(f"outcome={result.outcome} claims={len(result.claims)}: {result.detail}{peak}", file=sys.stderr)
