"""The web page: the paper list at `/`, one paper with its claims at `/ui/papers/{arxiv_id}`."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from services.api import render
from shared.ids import InvalidArxivId, parse_arxiv_id

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def index(request: Request, limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0)) -> HTMLResponse:
    store = request.app.state.store
    docs = await store.list_documents(limit=limit, offset=offset)
    return HTMLResponse(render.paper_list(docs, await store.count_documents()))


@router.get("/ui/papers/{arxiv_id:path}", response_class=HTMLResponse)
async def paper(arxiv_id: str, request: Request) -> HTMLResponse:
    try:
        key = parse_arxiv_id(arxiv_id).base
    except InvalidArxivId as exc:
        return HTMLResponse(render.not_found(str(exc)), status_code=422)
    doc = await request.app.state.store.get_document(key)
    if doc is None:
        return HTMLResponse(render.not_found(f"paper {key} has not been published"), status_code=404)
    return HTMLResponse(render.paper_detail(doc))
