"""What the paper page shows, computed from the read model: counts, groups, filters, plot points.

Pure functions (no HTML, no I/O): render.py and paper_page.py turn them into markup. They work on
`Card`s, the few fields of a claim the page aggregates over (status, table, model, unmeasurable
reason, plot point): the store keeps them apart from the full claims (`PublisherStore.get_cards`), so
a 4,000-claim page reads 4,000 cards and only the claims whose rows it shows."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from services.publisher.cards import Card, PlotPoint
from shared.models import Verdict

# Worst first: a reviewer reads the problems before the confirmations.
STATUS_ORDER = ("wrong", "partial", "confirmed", "inconclusive", "pending", "none")


def status_counts(cards: list[Card]) -> list[tuple[str, int]]:
    """(status, count) for the statuses present, in STATUS_ORDER."""
    counts = Counter(c.status for c in cards)
    return [(s, counts[s]) for s in STATUS_ORDER if counts[s]]


def unmeasurable_counts(cards: list[Card]) -> list[tuple[str, int]]:
    """(reason, count) of the claims that cannot be measured, most frequent first."""
    counts = Counter(c.reason for c in cards if c.reason is not None)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def plot_points(cards: list[Card]) -> list[PlotPoint]:
    """One point per claim with a measured POST score, in the claim's printed unit."""
    return [c.point for c in cards if c.point is not None]


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

    def matches(self, card: Card) -> bool:
        return (
            (self.table is None or card.table == self.table)
            and (self.model is None or card.model == self.model)
            and (self.status is None or card.status == self.status)
            and (self.reason is None or card.reason == self.reason)
            and (self.claim is None or card.claim_id == self.claim)
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
    entries: list[Card]
    measurable: bool

    def filter_changes(self) -> dict[str, str]:
        return {"status": self.key} if self.measurable else {"reason": self.key}


def group_claims(cards: list[Card]) -> list[Group]:
    """Measurable claims by status (worst first), then the unmeasurable ones by reason (most first)."""
    by_status: dict[str, list[Card]] = {}
    by_reason: dict[str, list[Card]] = {}
    for card in cards:
        if card.reason is None:
            by_status.setdefault(card.status, []).append(card)
        else:
            by_reason.setdefault(card.reason, []).append(card)
    groups = [Group(s, by_status[s], True) for s in STATUS_ORDER if s in by_status]
    reasons = sorted(by_reason.items(), key=lambda item: (-len(item[1]), item[0]))
    return groups + [Group(reason, items, False) for reason, items in reasons]


@dataclass(frozen=True)
class Shown:
    group: Group
    entries: list[Card]  # the cards rendered
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
