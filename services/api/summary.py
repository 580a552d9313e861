"""What the paper page shows, computed from the read model: counts, groups, filters, plot points.

Pure functions (no HTML, no I/O): render.py and paper_page.py turn them into markup."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from services.validator.stats import Z_THRESHOLD
from shared.benchmarks import FRACTION_METRICS
from shared.documents import ClaimEntry
from shared.models import Claim, Verdict

# Worst first: a reviewer reads the problems before the confirmations.
STATUS_ORDER = ("wrong", "partial", "confirmed", "inconclusive", "pending", "none")
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


def status_counts(entries: list[ClaimEntry]) -> list[tuple[str, int]]:
    """(status, count) for the statuses present, in STATUS_ORDER."""
    counts = Counter(entry_status(e) for e in entries)
    return [(s, counts[s]) for s in STATUS_ORDER if counts[s]]


def unmeasurable_counts(entries: list[ClaimEntry]) -> list[tuple[str, int]]:
    """(reason, count) of the claims that cannot be measured, most frequent first."""
    counts = Counter(r for e in entries if (r := unmeasurable_reason(e)) is not None)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


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


def plot_points(entries: list[ClaimEntry]) -> list[PlotPoint]:
    """One point per claim with a measured POST score, in the claim's printed unit."""
    points = []
    for entry in entries:
        post = entry.verdicts.post
        if post is None or post.score is None:
            continue
        claim, factor = entry.claim, printed_factor(entry.claim, post)
        c = claim.citation
        points.append(
            PlotPoint(
                claim_id=claim.claim_id,
                label=f"{claim.table_label} · {c.row} · {c.column}: reported {c.quoted_text}",
                reported=c.reported_value,
                measured=post.score * factor,
                half_width=Z_THRESHOLD * abs(post.stderr) * factor if post.stderr is not None else 0.0,
                status=post.status,
            )
        )
    return points


@dataclass(frozen=True)
class Filters:
    """The URL query of the paper page (?table=&model=&status=&reason=&claim=&offset=)."""

    table: str | None = None
    model: str | None = None
    status: str | None = None
    reason: str | None = None  # an unmeasurable reason
    claim: str | None = None  # one claim id (where a plot mark links when its card is folded away)
    offset: int = 0

    def active(self) -> list[tuple[str, str]]:
        named = (("table", self.table), ("model", self.model), ("status", self.status), ("reason", self.reason))
        return [(name, value) for name, value in (*named, ("claim", self.claim)) if value]

    def matches(self, entry: ClaimEntry) -> bool:
        claim = entry.claim
        return (
            (self.table is None or claim.table_label == self.table)
            and (self.model is None or model_name(claim) == self.model)
            and (self.status is None or entry_status(entry) == self.status)
            and (self.reason is None or unmeasurable_reason(entry) == self.reason)
            and (self.claim is None or claim.claim_id == self.claim)
        )

    def query(self, **changes: str | int | None) -> str:
        """The URL query of these filters with `changes` applied ("" when none is left)."""
        changed = replace(self, **changes)  # type: ignore[arg-type]
        pairs: list[tuple[str, str | int]] = list(changed.active())
        if changed.offset:
            pairs.append(("offset", changed.offset))
        return f"?{urlencode(pairs)}" if pairs else "?"


@dataclass(frozen=True)
class Group:
    key: str  # a status, or an unmeasurable reason
    entries: list[ClaimEntry]
    measurable: bool

    def filter_changes(self) -> dict[str, str]:
        return {"status": self.key} if self.measurable else {"reason": self.key}


def group_claims(entries: list[ClaimEntry]) -> list[Group]:
    """Measurable claims by status (worst first), then the unmeasurable ones by reason (most first)."""
    by_status: dict[str, list[ClaimEntry]] = {}
    by_reason: dict[str, list[ClaimEntry]] = {}
    for entry in entries:
        reason = unmeasurable_reason(entry)
        if reason is None:
            by_status.setdefault(entry_status(entry), []).append(entry)
        else:
            by_reason.setdefault(reason, []).append(entry)
    groups = [Group(s, by_status[s], True) for s in STATUS_ORDER if s in by_status]
    reasons = sorted(by_reason.items(), key=lambda item: (-len(item[1]), item[0]))
    return groups + [Group(reason, items, False) for reason, items in reasons]


@dataclass(frozen=True)
class Shown:
    group: Group
    entries: list[ClaimEntry]  # the cards rendered
    more: int  # cards of the group left out (reachable by the group's own URL)


def visible_cards(groups: list[Group], *, per_group: int, total: int) -> list[Shown]:
    """At most `per_group` cards of each group and `total` on the page: a page stays small."""
    shown, room = [], total
    for group in groups:
        take = group.entries[: max(0, min(per_group, room))]
        room -= len(take)
        shown.append(Shown(group, take, len(group.entries) - len(take)))
    return shown


# Where the validator's own reason starts in a verdict's notes (after the field-by-field protocol summary).
REASON_MARKERS = ("Comparison: ", "Inconclusive: ", "Planned: ")
MAX_REASON = 240
# "critical unknown: n_shot (paper: not stated; run: 5), ..." up to the next top-level ";"
CRITICAL_FIELDS = re.compile(r"critical (?:unknown|mismatch): (?:[^;()]|\([^)]*\))*")


def headline_reason(verdict: Verdict | None) -> str:
    """The verdict's reason in one line: its notes from the rule's own note on, at most 240 characters."""
    if verdict is None:
        return ""
    notes = " ".join(verdict.claim_citation.notes.split())
    starts = [notes.find(marker) for marker in REASON_MARKERS if marker in notes]
    line = notes[min(starts) :] if starts else notes
    gates = "".join(
        f"gate {g.gate} changed {g.changed_status_from} to {verdict.status}. "
        for g in verdict.gates
        if g.changed_status_from
    )
    protocol = ""
    if verdict.protocol_match != "match":
        critical = CRITICAL_FIELDS.search(notes)
        protocol = f"protocol {verdict.protocol_match}" + (f" ({critical.group(0)})" if critical else "") + ". "
    line = protocol + gates + line
    return line if len(line) <= MAX_REASON else line[: MAX_REASON - 1] + "…"
