"""JSON endpoints. Old-style arXiv IDs contain a slash (hep-th/9901001), so paper routes take a path."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from services.api.records import load_records
from services.publisher.documents import status_counts
from shared.documents import PublishedDocument, VerdictPair
from shared.ids import InvalidArxivId, parse_arxiv_id
from shared.models import Claim, Measurement, Verdict

router = APIRouter()


class PaperSummary(BaseModel):
    arxiv_id: str
    title: str
    version: int
    latest_version: int
    withdrawn: bool
    status: str | None = Field(description="the headline verdict's status (None before any verdict)")
    confidence: float | None = None
    claim_count: int
    expected_claims: int | None = None
    status_counts: dict[str, int]
    updated_at: datetime | None = None


class PaperList(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[PaperSummary]


class VerdictHistory(BaseModel):
    arxiv_id: str
    verdicts: list[Verdict] = Field(description="the paper's verdicts, newest first, one page of them")
    total: int | None = Field(None, description="how many verdicts the paper has in all")
    limit: int | None = None
    offset: int | None = None


class ClaimView(BaseModel):
    claim: Claim
    verdicts: VerdictPair
    measurement: Measurement | None = None
    records: list[dict[str, Any]] = Field(default_factory=list, description="per-example records (first N)")
    records_total: int | None = None
    records_error: str | None = None


def checked_arxiv_id(raw: str) -> str:
    """The arXiv ID without version, or 422 with what was expected."""
    try:
        return parse_arxiv_id(raw).base
    except InvalidArxivId as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc


def summarize(doc: PublishedDocument) -> PaperSummary:
    return PaperSummary(
        arxiv_id=doc.arxiv_id or doc.paper.arxiv_id,
        title=doc.paper.title,
        version=doc.latest_version.version,
        latest_version=doc.paper.latest_version,
        withdrawn=doc.paper.withdrawn,
        status=doc.verdict.status if doc.verdict else None,
        confidence=doc.verdict.confidence if doc.verdict else None,
        claim_count=len(doc.claims),
        expected_claims=doc.expected_claims,
        status_counts=status_counts(doc.claims),
        updated_at=doc.updated_at,
    )


@router.get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/papers", response_model=PaperList, tags=["papers"])
async def list_papers(
    request: Request,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> PaperList:
    """Published papers, most recently updated first."""
    store = request.app.state.store
    docs = await store.list_documents(limit=limit, offset=offset)
    return PaperList(
        total=await store.count_documents(), limit=limit, offset=offset, items=[summarize(d) for d in docs]
    )


# Declared before `/papers/{arxiv_id:path}`, which would otherwise swallow ".../verdicts".
@router.get("/papers/{arxiv_id:path}/verdicts", response_model=VerdictHistory, tags=["papers"])
async def paper_verdicts(
    arxiv_id: str,
    request: Request,
    limit: int = Query(200, ge=1, le=2000),
    offset: int = Query(0, ge=0, le=10_000_000),
) -> VerdictHistory:
    """The paper's verdict history: every PRE and POST verdict, superseded ones with is_current false."""
    key = checked_arxiv_id(arxiv_id)
    store = request.app.state.store
    verdicts, total = await store.get_history(key, limit=limit, offset=offset)
    if not total and await store.get_document(key) is None:
        raise HTTPException(status_code=404, detail=f"paper {key} has not been published")
    return VerdictHistory(arxiv_id=key, verdicts=verdicts, total=total, limit=limit, offset=offset)


@router.get(
    "/papers/{arxiv_id:path}", response_model=PublishedDocument, response_model_exclude_none=False, tags=["papers"]
)
async def get_paper(
    arxiv_id: str,
    request: Request,
    response: Response,
    claims_limit: int = Query(1000, ge=0, le=5000, description="how many of the paper's claims to include"),
    claims_offset: int = Query(0, ge=0, le=10_000_000),
) -> PublishedDocument:
    """The published document (seed shape: paper, latest_version, verdict, verdicts; plus one page of its
    claims in table order; the X-Total-Claims header says how many there are)."""
    key = checked_arxiv_id(arxiv_id)
    doc = await request.app.state.store.get_document(key)
    if doc is None:
        raise HTTPException(status_code=404, detail=f"paper {key} has not been published")
    response.headers["X-Total-Claims"] = str(len(doc.claims))
    doc.claims = doc.claims[claims_offset : claims_offset + claims_limit]
    return doc


@router.get("/claims/{claim_id}", response_model=ClaimView, tags=["claims"])
async def get_claim(
    claim_id: str,
    request: Request,
    records_limit: int = Query(100, ge=0, le=10_000, description="how many per-example records to return"),
) -> ClaimView:
    """A claim with its current verdicts, its measurement and the measurement's per-example records."""
    stored = await request.app.state.store.get_claim(claim_id)
    if stored is None:
        raise HTTPException(status_code=404, detail=f"claim {claim_id} has not been published")
    view = ClaimView(claim=stored.claim, verdicts=stored.verdicts, measurement=stored.measurement)
    if stored.measurement is not None:
        records = await load_records(request.app.state.artifacts, stored.measurement.records_sha256, records_limit)
        view.records, view.records_total, view.records_error = records.items, records.total, records.error
    return view
