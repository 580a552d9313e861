"""The web page: the paper list at `/`, one paper with its claims at `/ui/papers/{arxiv_id}`."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from services.api import paper_page, render
from services.api.listing import LIST_STATUSES, papers_query, search_key
from services.api.summary import Filters
from shared.ids import InvalidArxivId, parse_arxiv_id

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def index(
    request: Request,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0),
    q: str | None = Query(None, max_length=100),
    status: str | None = Query(None, max_length=20),
) -> HTMLResponse:
    if status and status not in LIST_STATUSES:
        message = f"status {status!r} is not one of {', '.join(LIST_STATUSES)}"
        return HTMLResponse(render.not_found(message), status_code=422)
    store = request.app.state.store
    query = papers_query(q, status)
    docs = await store.list_papers(limit=limit, offset=offset, query=query)
    base = papers_query(q, None)
    counts = [(s, await store.count_documents({**base, **papers_query(None, s)})) for s in LIST_STATUSES]
    listing = render.ListPage(search_key(q), status, counts, await store.count_documents(query), offset, limit)
    return HTMLResponse(render.paper_list(docs, listing))


@router.get("/ui/papers/{arxiv_id:path}", response_class=HTMLResponse)
async def paper(
    arxiv_id: str,
    request: Request,
    table: str | None = Query(None, max_length=500),
    model: str | None = Query(None, max_length=500),
    status: str | None = Query(None, max_length=20),
    reason: str | None = Query(None, max_length=2000),
    claim: str | None = Query(None, max_length=200),
    offset: int = Query(0, ge=0),
) -> HTMLResponse:
    try:
        key = parse_arxiv_id(arxiv_id).base
    except InvalidArxivId as exc:
        return HTMLResponse(render.not_found(str(exc)), status_code=422)
    store = request.app.state.store
    doc = await store.get_paper(key)
    if doc is None:
        return HTMLResponse(render.not_found(f"paper {key} has not been published"), status_code=404)
    filters = Filters(table or None, model or None, status or None, reason or None, claim or None, offset)
    cards = await store.get_cards(doc)  # every claim's card; full claims only for the rows shown
    rows = await store.get_entries(paper_page.rows_on_page(cards, filters))
    return HTMLResponse(paper_page.render(doc, cards, rows, filters))
