"""A claim's card: the few fields of the read model the paper page aggregates over (status, table,
model, unmeasurable reason, plot point), kept by the store beside the full claim, as JSON, so that a
page of a 4,000-claim paper reads 4,000 small cards and only the claims whose rows it shows. Pure."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from services.publisher.documents import Rank, headline_rank
from services.validator.stats import Z_THRESHOLD
from shared.benchmarks import FRACTION_METRICS
from shared.documents import ClaimEntry
from shared.models import Claim, Verdict

NO_REASON = "no reason recorded"


def current_verdict(entry: ClaimEntry) -> Verdict | None:
    return entry.verdicts.post or entry.verdicts.pre


def entry_status(entry: ClaimEntry) -> str:
    verdict = current_verdict(entry)
    return verdict.status if verdict else "none"


def model_name(claim: Claim) -> str:
    return claim.model_id or claim.model_label


def unmeasurable_reason(entry: ClaimEntry) -> str | None:
    """Why the claim cannot be measured, or None when it can."""
    if entry.claim.measurable:
        return None
    return (entry.claim.unmeasurable_reason or "").strip() or NO_REASON


def printed_factor(claim: Claim, verdict: Verdict) -> float:
    """Factor taking a stored score (a fraction for accuracy-like metrics) to the paper's printed scale."""
    metric = (verdict.run_protocol.metric if verdict.run_protocol else None) or claim.protocol.metric
    score = verdict.score if verdict.score is not None else 0.0
    fraction = metric in FRACTION_METRICS if metric else 0.0 <= score <= 1.0
    return 100.0 if fraction and claim.protocol.scale == "percent" else 1.0


@dataclass(frozen=True)
class PlotPoint:
    claim_id: str
    label: str  # names the claim on hover
    reported: float  # as printed
    measured: float  # on the printed scale
    half_width: float  # z * stderr on the printed scale (0 when no stderr)
    status: str


def plot_point(entry: ClaimEntry) -> PlotPoint | None:
    """The claim's point when it has a measured POST score, in the claim's printed unit."""
    post = entry.verdicts.post
    if post is None or post.score is None:
        return None
    claim, factor = entry.claim, printed_factor(entry.claim, post)
    c = claim.citation
    return PlotPoint(
        claim_id=claim.claim_id,
        label=f"{claim.table_label} · {c.row} · {c.column}: reported {c.quoted_text}",
        reported=c.reported_value,
        measured=post.score * factor,
        half_width=Z_THRESHOLD * abs(post.stderr) * factor if post.stderr is not None else 0.0,
        status=post.status,
    )


@dataclass(frozen=True)
class Card:
    """What the page aggregates over for one claim: the store keeps it beside the claim, as JSON."""

    claim_id: str
    position: tuple[str, int, int, str]  # table order: (table, row index, column index, claim id)
    table: str
    model: str
    status: str
    reason: str | None  # why the claim cannot be measured; None when it can
    point: PlotPoint | None
    # the claim's headline rank (documents.headline_rank; None without a verdict): the publisher picks
    # the paper's headline from the cards when the headline claim loses rank
    rank: Rank | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Card:
        raw: dict[str, Any] = json.loads(text)
        point = raw["point"]
        return cls(
            claim_id=raw["claim_id"],
            position=tuple(raw["position"]),
            table=raw["table"],
            model=raw["model"],
            status=raw["status"],
            reason=raw["reason"],
            point=PlotPoint(**point) if point is not None else None,
            rank=_rank(raw.get("rank")),
        )


def card_of(entry: ClaimEntry) -> Card:
    claim = entry.claim
    return Card(
        claim_id=claim.claim_id,
        position=(claim.table_label, claim.row_index, claim.col_index, claim.claim_id),
        table=claim.table_label,
        model=model_name(claim),
        status=entry_status(entry),
        reason=unmeasurable_reason(entry),
        point=plot_point(entry),
        rank=headline_rank(entry),
    )


def _rank(raw: Any) -> Rank | None:
    if raw is None:
        return None
    stage, severity, confidence, position = raw
    return int(stage), int(severity), float(confidence), tuple(position)


def cards_of(entries: Iterable[ClaimEntry]) -> list[Card]:
    return [card_of(e) for e in entries]
