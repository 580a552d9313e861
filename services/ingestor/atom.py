"""Pure parsing of arXiv's Atom API responses and of e-print payload formats (no I/O)."""

from __future__ import annotations

import gzip
import io
import re
import tarfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from xml.etree import ElementTree

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"

_VERSIONED_ID = re.compile(r"abs/(?P<id>.+?)v(?P<v>\d+)$")
_WITHDRAWN = re.compile(r"\b(withdrawn|retracted)\b", re.IGNORECASE)


class AtomError(ValueError):
    """The Atom response is not one we can read."""


class ArxivApiError(LookupError):
    """arXiv answered with its "Error" entry (unknown paper or malformed ID) or no entry at all."""


@dataclass(frozen=True)
class AtomEntry:
    arxiv_id: str  # without version
    latest_version: int
    title: str
    abstract: str
    authors: list[str] = field(default_factory=list)
    primary_category: str | None = None
    journal_ref: str | None = None
    comment: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    links: dict[str, str] = field(default_factory=dict)  # title or rel -> href

    @property
    def withdrawn(self) -> bool:
        """arXiv marks a withdrawn version by its comment ("This paper has been withdrawn ...")."""
        return bool(self.comment and _WITHDRAWN.search(self.comment))


def _text(node: ElementTree.Element | None) -> str:
    return " ".join((node.text or "").split()) if node is not None else ""


def _date(node: ElementTree.Element | None) -> datetime | None:
    text = _text(node)
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def parse_atom(xml: bytes | str, requested_id: str) -> AtomEntry:
    """The entry for `requested_id` (base ID, no version) from an `api/query?id_list=` response."""
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        raise AtomError(f"arXiv API response is not XML: {exc}") from exc
    entries = root.findall(f"{ATOM}entry")
    for entry in entries:
        entry_id = _text(entry.find(f"{ATOM}id"))
        if _text(entry.find(f"{ATOM}title")) == "Error" or "/api/errors" in entry_id:
            summary = _text(entry.find(f"{ATOM}summary")) or entry_id
            raise ArxivApiError(f"arXiv has no paper {requested_id!r}: {summary}")
        match = _VERSIONED_ID.search(entry_id)
        if not match:
            raise AtomError(f"arXiv API entry id {entry_id!r} has no version")
        if match.group("id") != requested_id:
            continue
        links = {}
        for link in entry.findall(f"{ATOM}link"):
            name = link.get("title") or link.get("rel") or "link"
            links[name] = link.get("href", "")
        category = entry.find(f"{ARXIV}primary_category")
        return AtomEntry(
            arxiv_id=match.group("id"),
            latest_version=int(match.group("v")),
            title=_text(entry.find(f"{ATOM}title")),
            abstract=_text(entry.find(f"{ATOM}summary")),
            authors=[_text(a.find(f"{ATOM}name")) for a in entry.findall(f"{ATOM}author")],
            primary_category=category.get("term") if category is not None else None,
            journal_ref=_text(entry.find(f"{ARXIV}journal_ref")) or None,
            comment=_text(entry.find(f"{ARXIV}comment")) or None,
            published_at=_date(entry.find(f"{ATOM}published")),
            updated_at=_date(entry.find(f"{ATOM}updated")),
            links=links,
        )
    raise ArxivApiError(f"arXiv has no paper {requested_id!r}: the API returned no entry for it")


SourceFormat = Literal["tar", "tex", "pdf", "none"]


def detect_source_format(data: bytes | None) -> SourceFormat:
    """What arXiv's /e-print/ returned: a (gzipped) tar of LaTeX, one (gzipped) .tex file, or a PDF."""
    if not data:
        return "none"
    payload = data
    if data[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
                payload = fh.read(1024 * 1024)
        except (OSError, EOFError):
            return "none"
    if payload[:5] == b"%PDF-":
        return "pdf"
    if len(payload) > 262 and payload[257:262] == b"ustar":
        return "tar"
    if data[:2] == b"\x1f\x8b" and _is_tar(data):
        return "tar"
    return "tex"


def _is_tar(data: bytes) -> bool:
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            return tar.next() is not None
    except (tarfile.TarError, OSError, EOFError):
        return False
