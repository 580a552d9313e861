"""HTML of the web page (pure functions of the read model; every value is escaped)."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from services.validator.stats import printed_decimals
from shared.benchmarks import FRACTION_METRICS
from shared.documents import ClaimEntry, PublishedDocument
from shared.models import Claim, Verdict, VerdictStatus

STATUS_COLOURS: dict[VerdictStatus, str] = {
    "confirmed": "#1a7f37",
    "partial": "#b08800",
    "wrong": "#cf222e",
    "inconclusive": "#6e7781",
    "pending": "#0969da",
}

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
"""


def _e(value: object) -> str:
    return escape("" if value is None else str(value))


def status_badge(status: str | None) -> str:
    if status is None:
        return '<span class="status" style="background:#8c959f" data-status="none">no verdict</span>'
    colour = STATUS_COLOURS.get(status, "#8c959f")
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


def paper_link(arxiv_id: str) -> str:
    return f"/ui/papers/{quote(arxiv_id, safe='/')}"


def paper_list(docs: list[PublishedDocument], total: int) -> str:
    rows = []
    for doc in docs:
        key = doc.arxiv_id or doc.paper.arxiv_id
        withdrawn = ' <span class="withdrawn">withdrawn</span>' if doc.paper.withdrawn else ""
        rows.append(
            f'<tr data-arxiv-id="{_e(key)}"><td><a href="{paper_link(key)}">{_e(key)}</a></td>'
            f"<td>{_e(doc.paper.title)}{withdrawn}</td><td>v{doc.latest_version.version}</td>"
            f"<td>{status_badge(doc.verdict.status if doc.verdict else None)}</td><td>{len(doc.claims)}</td></tr>"
        )
    table = (
        "<table id=papers><thead><tr><th>arXiv ID</th><th>Title</th><th>Version</th><th>Headline verdict</th>"
        f"<th>Claims</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        if rows
        else "<p>No papers published yet.</p>"
    )
    return page("Papers", f"<h2>Papers ({total})</h2>{table}")


def on_printed_scale(claim: Claim, verdict: Verdict) -> str:
    """The measured value as the paper would print it (x100 for fractions on a percent scale)."""
    if verdict.score is None:
        return "—"
    metric = (verdict.run_protocol.metric if verdict.run_protocol else None) or claim.protocol.metric
    fraction = metric in FRACTION_METRICS if metric else 0.0 <= verdict.score <= 1.0
    factor = 100.0 if fraction and claim.protocol.scale == "percent" else 1.0
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
    run = (post or pre).run_protocol if (post or pre) else None
    run_text = f"{run.benchmark} {run.n_shot}-shot {run.formulation}/{run.metric}, {run.examples} ex." if run else ""
    measured = (
        f"<div><div class=muted>measured</div><div class=measured>{_e(measured_value)}</div>"
        f"<div class=muted>{_e(run_text)} · model {_e(claim.model_id or claim.model_label)}</div></div>"
    )
    return (
        f'<tr class="claim" data-claim-id="{_e(claim.claim_id)}" '
        f'data-status="{_e(current.status if current else "none")}">'
        f'<td><div class="side">{cited}{measured}</div>{_protocol_details(current)}'
        f'<div class=muted><a href="/claims/{_e(claim.claim_id)}">claim JSON with records</a></div></td>'
        f"<td>{_verdict_cell(post)}</td><td>{_verdict_cell(pre)}</td></tr>"
    )


def paper_detail(doc: PublishedDocument) -> str:
    key = doc.arxiv_id or doc.paper.arxiv_id
    withdrawn = ' <span class="withdrawn">withdrawn</span>' if doc.paper.withdrawn else ""
    headline = doc.verdict
    head = (
        f"<p>Headline verdict: {status_badge(headline.status if headline else None)} "
        + (
            f"<span class=muted>({_e(headline.kind)}, confidence {headline.confidence:.2f}, "
            f"{_e(headline.claim_citation.section)} / {_e(headline.claim_citation.row)} / "
            f"{_e(headline.claim_citation.column)})</span>"
            if headline
            else ""
        )
        + "</p>"
    )
    expected = f" of {doc.expected_claims} expected" if doc.expected_claims is not None else ""
    rows = "".join(claim_row(e) for e in doc.claims)
    claims = (
        "<table id=claims><thead><tr><th>Cited cell and measured value</th><th>POST verdict</th>"
        f"<th>PRE verdict</th></tr></thead><tbody>{rows}</tbody></table>"
        if rows
        else "<p>No claims yet.</p>"
    )
    body = (
        f"<h2 id=title>{_e(doc.paper.title)}{withdrawn}</h2>"
        f'<p><a href="https://arxiv.org/abs/{_e(key)}v{doc.latest_version.version}">arXiv:{_e(key)}'
        f"v{doc.latest_version.version}</a> · latest on arXiv v{doc.paper.latest_version} · "
        f'<a href="/papers/{_e(key)}/verdicts">verdict history</a></p>'
        f"{head}<h3>Claims ({len(doc.claims)}{_e(expected)})</h3>{claims}"
    )
    return page(doc.paper.title, body)


def not_found(message: str) -> str:
    return page("Not found", f"<p>{_e(message)}</p>")
