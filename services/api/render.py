"""HTML of the web page (pure functions of the read model; every value is escaped)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from urllib.parse import quote, urlencode

from services.publisher.cards import printed_factor
from services.validator.stats import printed_decimals
from shared.documents import ClaimEntry, PublishedDocument
from shared.models import Claim, Verdict, VerdictStatus

STATUS_COLOURS: dict[VerdictStatus, str] = {
    "confirmed": "#1a7f37",
    "partial": "#b08800",
    "wrong": "#cf222e",
    "inconclusive": "#6e7781",
    "pending": "#0969da",
}

NO_STATUS_COLOUR = "#8c959f"


def status_colour(status: str) -> str:
    """The colour of a status ("none" or an unknown string: grey)."""
    return next((colour for key, colour in STATUS_COLOURS.items() if key == status), NO_STATUS_COLOUR)


CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1f2328; }
h1 a { color: inherit; text-decoration: none; }
table { border-collapse: collapse; width: 100%; margin-top: 1rem; }
th, td { border: 1px solid #d0d7de; padding: .4rem .6rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
.status { color: #fff; border-radius: 1em; padding: .1rem .6rem; font-weight: 600; white-space: nowrap; }
.withdrawn { background: #cf222e; color: #fff; padding: .1rem .5rem; border-radius: .3rem; }
.cell, .measured { font-family: ui-monospace, monospace; font-size: 1.1em; }
.side { display: flex; gap: 1rem; align-items: stretch; }
.side > div { border: 1px solid #d0d7de; border-radius: .4rem; padding: .5rem .8rem; flex: 1; }
.muted { color: #6e7781; font-size: .9em; }
details { font-size: .9em; }
.summary { font-size: 1.15em; margin: .5rem 0; }
#summary { flex: 1 1 24rem; }
#summary .count { margin-right: .8rem; white-space: nowrap; }
.overview { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; }
.overview figure { margin: 0; }
#plot { max-width: 100%; height: auto; border: 1px solid #d0d7de; border-radius: .4rem; }
#plot text { font-size: 11px; fill: #57606a; }
#plot .grid { stroke: #eaeef2; }
#plot .diagonal { stroke: #8c959f; stroke-dasharray: 4 3; }
#plot a.mark circle { stroke: #fff; }
.filters a, .groups a { margin-right: .6rem; }
#status-counts a { text-decoration: none; color: inherit; margin-right: .6rem; }
.planned { font-size: .9em; }
@media print {
  body { margin: 0; font-size: 10pt; }
  .filters, .more, form { display: none; }
  details { display: block; }
  #plot { border: none; break-inside: avoid; }
  .status { color: #000; border: 1px solid #000; background: none !important; }
  tr.claim { break-inside: avoid; }
}
"""


def _e(value: object) -> str:
    return escape("" if value is None else str(value))


def status_badge(status: str | None) -> str:
    if status is None:
        return '<span class="status" style="background:#8c959f" data-status="none">no verdict</span>'
    colour = status_colour(status)
    return (
        f'<span class="status status-{_e(status)}" style="background:{colour}" '
        f'data-status="{_e(status)}">{_e(status)}</span>'
    )


def page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{_e(title)} · paperverdict</title><style>{CSS}</style></head>"
        f'<body><h1><a href="/">paperverdict</a></h1>{body}'
        '<p class="muted">JSON: <a href="/papers">/papers</a> · OpenAPI: <a href="/openapi.json">/openapi.json</a>'
        ' · <a href="/docs">/docs</a></p></body></html>'
    )


def claim_anchor(claim_id: str) -> str:
    return f"claim-{claim_id}"


def paper_link(arxiv_id: str) -> str:
    return f"/ui/papers/{quote(arxiv_id, safe='/')}"


@dataclass(frozen=True)
class ListPage:
    """The list page's query and counts: the search text, the status filter, papers per headline status."""

    q: str = ""
    status: str | None = None
    counts: list[tuple[str, int]] = field(default_factory=list)  # over the search, before the status filter
    total: int = 0  # papers matching search and status
    offset: int = 0
    limit: int = 100

    def link(self, **changes: str | int | None) -> str:
        values: dict[str, str | int | None] = {"q": self.q, "status": self.status, **changes}
        pairs = [(k, v) for k, v in values.items() if v]
        return f"/?{urlencode(pairs)}" if pairs else "/"


def _list_controls(listing: ListPage) -> str:
    form = (
        '<form method=get action="/"><label>arXiv ID <input name=q type=search value="'
        f'{_e(listing.q)}" placeholder="2502.02737"></label>'
        + (f'<input type=hidden name=status value="{_e(listing.status)}">' if listing.status else "")
        + " <button>Search</button></form>"
    )
    counts = " ".join(
        f'<a href="{_e(listing.link(status=s, offset=None))}" data-count-status="{_e(s)}">'
        f"{status_badge(s if s != 'none' else None)} {n}</a>"
        for s, n in listing.counts
        if n
    )
    active = [f"arXiv ID starts with <b>{_e(listing.q)}</b>"] if listing.q else []
    active += [f"headline status <b>{_e(listing.status)}</b>"] if listing.status else []
    shown = (
        f'<p id=active-filters>Filtered by {", ".join(active)} · <a id=clear href="/">clear filters</a></p>'
        if active
        else ""
    )
    return f"{form}<p id=status-counts>By headline verdict: {counts or 'none'}</p>{shown}"


def _claim_count(doc: PublishedDocument) -> str:
    """The extracted claims (`expected_claims`; the list does not load the claims themselves)."""
    if doc.expected_claims is not None:
        return str(doc.expected_claims)
    return str(len(doc.claims)) if doc.claims else "—"


def paper_list(docs: list[PublishedDocument], listing: ListPage) -> str:
    """Newest first (the store's order), with the search form and counts per headline status."""
    rows = []
    for doc in docs:
        key = doc.arxiv_id or doc.paper.arxiv_id
        withdrawn = ' <span class="withdrawn">withdrawn</span>' if doc.paper.withdrawn else ""
        updated = doc.updated_at.strftime("%Y-%m-%d %H:%M") if doc.updated_at else ""
        rows.append(
            f'<tr data-arxiv-id="{_e(key)}"><td><a href="{paper_link(key)}">{_e(key)}</a></td>'
            f"<td>{_e(doc.paper.title)}{withdrawn}</td><td>v{doc.latest_version.version}</td>"
            f"<td>{status_badge(doc.verdict.status if doc.verdict else None)}</td><td>{_claim_count(doc)}</td>"
            f"<td>{_e(updated)}</td></tr>"
        )
    table = (
        "<table id=papers><thead><tr><th>arXiv ID</th><th>Title</th><th>Version</th><th>Headline verdict</th>"
        f"<th>Claims</th><th>Updated</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        if rows
        else "<p>No paper matches.</p>"
        if listing.q or listing.status
        else "<p>No papers published yet.</p>"
    )
    nav = []
    if listing.offset > 0:
        nav.append(f'<a href="{_e(listing.link(offset=max(listing.offset - listing.limit, 0)))}">newer</a>')
    if listing.offset + len(docs) < listing.total:
        nav.append(f'<a href="{_e(listing.link(offset=listing.offset + listing.limit))}">older</a>')
    more = f"<p class=more>{' · '.join(nav)}</p>" if nav else ""
    return page("Papers", f"<h2>Papers ({listing.total})</h2>{_list_controls(listing)}{table}{more}")


def on_printed_scale(claim: Claim, verdict: Verdict) -> str:
    """The measured value as the paper would print it (x100 for fractions on a percent scale)."""
    if verdict.score is None:
        return "—"
    factor = printed_factor(claim, verdict)
    decimals = max(printed_decimals(claim.citation.quoted_text, claim.citation.reported_value) + 1, 2)
    text = f"{verdict.score * factor:.{decimals}f}"
    if verdict.stderr is not None:
        text += f" ± {verdict.stderr * factor:.{decimals}f}"
    return text


def _verdict_cell(verdict: Verdict | None) -> str:
    if verdict is None:
        return '<span class="muted">—</span>'
    return (
        f"{status_badge(verdict.status)}<div class=muted>protocol {_e(verdict.protocol_match)} · "
        f"confidence {verdict.confidence:.2f}</div>"
    )


def planned_text(verdict: Verdict) -> str:
    """What the PRE verdict planned to run: task, shots, metric."""
    run = verdict.run_protocol
    if run is None:
        return "no run planned"
    return f"planned: {run.task or run.benchmark}, {run.n_shot}-shot, {run.metric}"


def _pre_cell(pre: Verdict | None, post: Verdict | None) -> str:
    """A PRE verdict still `pending` beside a finished POST says what was planned, not `pending`."""
    if pre is not None and pre.status == "pending" and post is not None and post.status != "pending":
        return f'<div class=planned data-status="planned">{_e(planned_text(pre))}</div>'
    return _verdict_cell(pre)


def _protocol_details(verdict: Verdict | None) -> str:
    if verdict is None:
        return ""
    rows = "".join(
        f"<tr><td>{_e(f.field)}{' *' if f.critical else ''}</td><td>{_e(f.claimed) or '<i>not stated</i>'}</td>"
        f"<td>{_e(f.measured) or '—'}</td><td>{_e(f.outcome)}</td></tr>"
        for f in verdict.protocol_fields
    )
    gates = ", ".join(
        f"{_e(g.gate)} {'passed' if g.passed else 'FAILED'}"
        + (f" (changed from {_e(g.changed_status_from)})" if g.changed_status_from else "")
        for g in verdict.gates
    )
    return (
        f"<details><summary>protocol, gates, notes</summary><p>{_e(verdict.claim_citation.notes)}</p>"
        f"<p>Gates: {gates or 'none recorded'} · agent {_e(verdict.agent_version)}</p>"
        "<table><tr><th>field (* critical)</th><th>paper</th><th>run</th><th>outcome</th></tr>"
        f"{rows}</table></details>"
    )


def claim_row(entry: ClaimEntry) -> str:
    claim = entry.claim
    c = claim.citation
    post, pre = entry.verdicts.post, entry.verdicts.pre
    current = post or pre
    page_text = f"p. {c.pdf_page}" if c.pdf_page else "page unknown"
    cited = (
        f"<div><div class=muted>cited cell</div><div>{_e(c.section)} · row <b>{_e(c.row)}</b> · column "
        f"<b>{_e(c.column)}</b> · {_e(page_text)}</div><div class=cell>“{_e(c.quoted_text)}”</div>"
        f"<div class=muted>{_e(c.reported_metric)} {c.reported_value:g}</div></div>"
    )
    measured_value = on_printed_scale(claim, post) if post else "not measured yet"
    run = current.run_protocol if current else None
    run_text = f"{run.benchmark} {run.n_shot}-shot {run.formulation}/{run.metric}, {run.examples} ex." if run else ""
    measured = (
        f"<div><div class=muted>measured</div><div class=measured>{_e(measured_value)}</div>"
        f"<div class=muted>{_e(run_text)} · model {_e(claim.model_id or claim.model_label)}</div></div>"
    )
    return (
        f'<tr class="claim" id="{_e(claim_anchor(claim.claim_id))}" data-claim-id="{_e(claim.claim_id)}" '
        f'data-status="{_e(current.status if current else "none")}">'
        f'<td><div class="side">{cited}{measured}</div>{_protocol_details(current)}'
        f'<div class=muted><a href="/claims/{_e(claim.claim_id)}">claim JSON with records</a></div></td>'
        f"<td>{_verdict_cell(post)}</td><td>{_pre_cell(pre, post)}</td></tr>"
    )


def not_found(message: str) -> str:
    return page("Not found", f"<p>{_e(message)}</p>")
