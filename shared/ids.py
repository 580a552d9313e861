"""Identifiers: arXiv IDs (validated) and the deterministic ids of claims, measurements and verdicts.

Deterministic ids make reprocessing idempotent: the same paper version, table cell, measurement and
agent version always give the same id, so a replayed message cannot create a second document.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass

# 0704.0001 .. 1412.9999 have 4 digits after the dot, 1501.00001 onward 5.
_NEW_STYLE = re.compile(r"^(?P<yymm>\d{2}(0[1-9]|1[0-2]))\.(?P<num>\d{4,5})(v(?P<v>[1-9]\d{0,5}))?$")
# Old style: archive(.SUBJECT)?/YYMMNNN, e.g. hep-th/9901001, math.GT/0309136.
_OLD_STYLE = re.compile(
    r"^(?P<archive>[a-z]+(-[a-z]+)?(\.[A-Z]{2})?)/(?P<yymm>\d{2}(0[1-9]|1[0-2]))(?P<num>\d{3})"
    r"(v(?P<v>[1-9]\d{0,5}))?$"
)
_PREFIXES = ("arxiv:", "https://arxiv.org/abs/", "http://arxiv.org/abs/")

# uuid5 namespace for paperverdict ids (a fixed random uuid; never change it).
_NAMESPACE = uuid.UUID("6f1c2a4e-53c4-4f43-9a61-0b8f1d3c7e21")


class InvalidArxivId(ValueError):
    """An arXiv ID that is not of either documented form; the message says what was expected."""


@dataclass(frozen=True)
class ArxivId:
    """A parsed arXiv ID: `base` without version, `version` if one was given."""

    base: str
    version: int | None = None

    def __str__(self) -> str:
        return self.base if self.version is None else f"{self.base}v{self.version}"


def parse_arxiv_id(text: str) -> ArxivId:
    """Parse a new-style (2502.02737, 2502.02737v2) or old-style (hep-th/9901001v1) arXiv ID."""
    raw = text
    candidate = text.strip()
    for prefix in _PREFIXES:
        if candidate.lower().startswith(prefix):
            candidate = candidate[len(prefix) :]
    for pattern in (_NEW_STYLE, _OLD_STYLE):
        match = pattern.match(candidate)
        if match:
            digits = match.group("num")
            if pattern is _NEW_STYLE:
                year_month = int(match.group("yymm"))
                wanted = 4 if year_month < 1501 else 5
                if len(digits) != wanted:
                    break
            version = match.group("v")
            base = candidate[: match.start("v") - 1] if version else candidate
            return ArxivId(base=base, version=int(version) if version else None)
    raise InvalidArxivId(
        f"arXiv ID {raw!r} is malformed: expected YYMM.NNNNN (YYMM.NNNN before 2015) with optional vN, "
        "e.g. 2502.02737v1, or an old-style ID such as hep-th/9901001"
    )


def _digest(*parts: object) -> str:
    joined = "\x1f".join(str(part) for part in parts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def claim_id(
    arxiv_id: str, version: int, table_label: str, row_index: int, col_index: int, part: int | None = None
) -> str:
    """Hash of paper version + table + cell position (+ which of a cell's two results, "50.9 / 47.3"):
    stable across reprocessing."""
    cell = (row_index, col_index) if part is None else (row_index, col_index, part)
    return _digest("claim", arxiv_id, version, table_label, *cell)[:32]


def measurement_id(model_revision: str, task: str, protocol_key: str, data_revision: str) -> str:
    """Key of the measurement cache: the same model sha, task, protocol and data give the same id."""
    return _digest("measurement", model_revision, task, protocol_key, data_revision)[:32]


def verdict_id(claim: str, kind: str, measurement: str | None, agent_version: str) -> str:
    """Verdict id (uuid-shaped like the seed's) from claim id, kind, measurement id and agent version."""
    return str(uuid.uuid5(_NAMESPACE, _digest("verdict", claim, kind, measurement or "-", agent_version)))


def paper_version_id(arxiv_id: str, version: int) -> str:
    """Id of one version of a paper (the seed's latest_version.id is uuid-shaped)."""
    return str(uuid.uuid5(_NAMESPACE, _digest("paper-version", arxiv_id, version)))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
