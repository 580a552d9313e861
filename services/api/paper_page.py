"""The paper page: the verdicts at a glance (summary, plot), then the claims grouped and filterable.

Two steps, so a large paper reads only what it shows: `rows_on_page(cards, filters)` names the claims
whose rows the page shows (at most MAX_CARDS), then `render(doc, cards, rows, filters)` builds the
page from every claim's card and those claims' entries. `paper_detail(doc)` does both from a
document with its claims."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from services.api import plot
from services.api.render import claim_anchor, claim_row, page, status_badge, status_colour
from services.api.summary import (
    Filters,
    Shown,
    group_claims,
    headline_reason,
    plot_points,
    status_counts,
    unmeasurable_counts,
    visible_cards,
)
from services.publisher.cards import Card, PlotPoint, cards_of
from shared.documents import ClaimEntry, PublishedDocument

PER_GROUP = 20  # cards of each group on the unfiltered page
MAX_CARDS = 200  # cards on any one page; the rest are reached by URL (filters, offset)


def _e(value: object) -> str:
    return escape("" if value is None else str(value))


def summary_html(doc: PublishedDocument, cards: list[Card]) -> str:
    counts = status_counts(cards)
    mix = ", ".join(f"{n} {status}" for status, n in counts) or "no claims"
    badges = "".join(f'<span class="count">{status_badge(s)} {n}</span>' for s, n in counts)
    headline = doc.verdict
    head = (
        f'<p>Headline verdict: {status_badge(headline.status)} <span class="muted">{_e(headline.kind)}, confidence '
        f"{headline.confidence:.2f}, {_e(headline.claim_citation.section)} / {_e(headline.claim_citation.row)} / "
        f'{_e(headline.claim_citation.column)}</span><br><span id="headline-reason">'
        f"{_e(headline_reason(headline))}</span></p>"
        if headline
        else f"<p>Headline verdict: {status_badge(None)}</p>"
    )
    unmeasurable = unmeasurable_counts(cards)
    not_measurable = (
        f'<p id="unmeasurable">{sum(n for _, n in unmeasurable)} not measurable: '
        + "; ".join(f"{n} {_e(reason)}" for reason, n in unmeasurable)
        + "</p>"
        if unmeasurable
        else ""
    )
    mix_line = f'<p class="summary" id="mix" data-mix="{_e(mix)}">{_e(mix)}</p>'
    return f'<div id="summary">{mix_line}{badges}{head}{not_measurable}</div>'


def filters_html(cards: list[Card], filters: Filters) -> str:
    active = filters.active()
    shown = (
        "Filtered by "
        + ", ".join(f"{_e(name)} = <b>{_e(value)}</b>" for name, value in active)
        + ' · <a id="clear" href="?">clear filters</a>'
        if active
        else "No filter"
    )
    options = (
        ("table", "Tables", sorted({c.table for c in cards})),
        ("model", "Models", sorted({c.model for c in cards})),
        ("status", "Status", [status for status, _ in status_counts(cards)]),
    )
    lines = "".join(
        f'<p class="muted">{label}: '
        + " ".join(f'<a href="{_e(filters.query(**{name: v}, offset=0))}">{_e(v)}</a>' for v in values[:30])
        + (f" … {len(values) - 30} more" if len(values) > 30 else "")
        + "</p>"
        for name, label, values in options
    )
    return f'<div class="filters"><p id="active-filters">{shown}</p>{lines}</div>'


def _group_html(shown: Shown, filters: Filters, rows: dict[str, ClaimEntry]) -> str:
    group, n = shown.group, len(shown.group.entries)
    title = f"{status_badge(group.key) if group.measurable else _e(group.key)} {n} claim{'s' * (n != 1)}"
    more = (
        f'<p class="more"><a href="{_e(filters.query(**group.filter_changes(), offset=0))}">'
        f"show all {n} ({shown.more} not shown here)</a></p>"
        if shown.more
        else ""
    )
    cells = "".join(claim_row(rows[c.claim_id]) for c in shown.entries if c.claim_id in rows)
    table = (
        '<table class="claims"><thead><tr><th>Cited cell and measured value</th><th>POST verdict</th>'
        f"<th>PRE verdict</th></tr></thead><tbody>{cells}</tbody></table>"
        if cells
        else ""
    )
    key = _e(group.key)
    if group.measurable:
        return f'<section class="group" data-group="{key}"><h4>{title}</h4>{table}{more}</section>'
    return (
        f'<details class="group" data-group="{key}"><summary>not measurable: {title}</summary>{table}{more}</details>'
    )


def _paged(filters: Filters, total: int) -> tuple[int, int, str]:
    """The slice [start, stop) of a filtered list and the links to its neighbours."""
    start = min(filters.offset, max(total - 1, 0))
    stop = min(start + MAX_CARDS, total)
    links = []
    if start > 0:
        links.append(f'<a href="{_e(filters.query(offset=max(start - MAX_CARDS, 0)))}">previous {MAX_CARDS}</a>')
    if stop < total:
        links.append(f'<a href="{_e(filters.query(offset=stop))}">next {MAX_CARDS}</a>')
    joined = " ".join(links)
    nav = f'<p class="more">claims {start + 1}–{stop} of {total} {joined}</p>" if total else "'
    return start, stop, nav


def _shown(cards: list[Card], filters: Filters) -> tuple[list[Shown], str]:
    """The groups with the cards the page shows, and the paging links of a filtered list."""
    picked = [c for c in cards if filters.matches(c)]
    if filters.active():
        start, stop, nav = _paged(filters, len(picked))
        return visible_cards(group_claims(picked[start:stop]), per_group=MAX_CARDS, total=MAX_CARDS), nav
    return visible_cards(group_claims(picked), per_group=PER_GROUP, total=MAX_CARDS), ""


def rows_on_page(cards: list[Card], filters: Filters) -> list[str]:
    """The ids of the claims whose rows the page shows: the only full claims it needs."""
    shown, _ = _shown(cards, filters)
    return [c.claim_id for s in shown for c in s.entries]


def claims_html(cards: list[Card], filters: Filters, rows: dict[str, ClaimEntry]) -> tuple[str, set[str]]:
    """The grouped claims and the ids of the claims whose cards are on the page."""
    shown, nav = _shown(cards, filters)
    on_page = {c.claim_id for s in shown for c in s.entries if c.claim_id in rows}
    body = "".join(_group_html(s, filters, rows) for s in shown) or "<p>No claim matches.</p>"
    return f'<div class="groups">{nav}{body}{nav}</div>', on_page


def paper_detail(doc: PublishedDocument, filters: Filters | None = None) -> str:
    """The page of a document with its claims."""
    return render(doc, cards_of(doc.claims), {e.claim_id: e for e in doc.claims}, filters)


def render(
    doc: PublishedDocument, cards: list[Card], rows: dict[str, ClaimEntry], filters: Filters | None = None
) -> str:
    """The page from every claim's card (in table order) and the entries of the claims it shows
    (`rows_on_page`); `doc.claims` is not read."""
    filters = filters or Filters()
    key = doc.arxiv_id or doc.paper.arxiv_id
    withdrawn = ' <span class="withdrawn">withdrawn</span>' if doc.paper.withdrawn else ""
    expected = f" of {doc.expected_claims} expected" if doc.expected_claims is not None else ""
    claims, on_page = claims_html(cards, filters, rows)
    page_path = f"/ui/papers/{quote(key, safe='/')}"

    def href(point: PlotPoint) -> str:
        anchor = f"#{quote(claim_anchor(point.claim_id))}"
        return anchor if point.claim_id in on_page else f"{page_path}{Filters(claim=point.claim_id).query()}{anchor}"

    points = plot_points(cards)
    svg = plot.scatter(points, href, status_colour)
    figure = (
        f'<figure><figcaption class="muted">Reported vs measured, {len(points)} measured claims; '
        "dashed: y = x</figcaption>" + svg + "</figure>"
        if svg
        else '<p class="muted">No claim measured yet: no plot.</p>'
    )
    body = (
        f'<h2 id="title">{_e(doc.paper.title)}{withdrawn}</h2>'
        f'<p><a href="https://arxiv.org/abs/{_e(key)}v{doc.latest_version.version}">arXiv:{_e(key)}'
        f"v{doc.latest_version.version}</a> · latest on arXiv v{doc.paper.latest_version} · "
        f'<a href="/papers/{_e(key)}/verdicts">verdict history</a></p>'
        f'<div class="overview">{summary_html(doc, cards)}{figure}</div>'
        f"<h3>Claims ({len(cards)}{_e(expected)})</h3>{filters_html(cards, filters)}{claims}"
    )
    return page(doc.paper.title, body)
