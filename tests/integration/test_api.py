"""The HTTP API against real FerretDB: documents, history, claims with records, errors, OpenAPI."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi.testclient import TestClient

from services.api.app import create_app
from shared.documents import PublishedDocument
from shared.settings import MongoSettings
from tests.integration.verdict_data import OLD_STYLE, Published, publish_sample
from tests.paths import SEED


@pytest.fixture
async def published(mongo_db) -> Published:  # type: ignore[no-untyped-def]
    return await publish_sample(mongo_db)


@pytest.fixture
async def client(mongo_db, published) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=create_app(db=mongo_db))
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        yield http


async def test_paper_document_has_the_seed_shape_and_the_most_severe_headline(client, published) -> None:
    response = await client.get("/papers/2502.02737")
    assert response.status_code == 200
    body = response.json()
    if SEED.exists():
        assert set(json.loads(SEED.read_text())) <= set(body)
        assert set(json.loads(SEED.read_text())["verdict"]) <= set(body["verdict"])
    doc = PublishedDocument.model_validate(body)
    assert doc.verdict is not None and doc.verdict.status == "wrong"
    assert doc.verdict.id == published.wrong_post.id
    assert doc.verdicts.post.id == published.wrong_post.id and doc.verdicts.pre.status == "pending"
    assert doc.claim_id == published.wrong.claim_id
    by_id = {e.claim_id: e for e in doc.claims}
    assert set(by_id) == {published.confirmed.claim_id, published.wrong.claim_id}
    assert by_id[published.confirmed.claim_id].verdicts.post.status == "confirmed"


async def test_versioned_id_reads_the_same_document(client) -> None:
    plain, versioned = await client.get("/papers/2502.02737"), await client.get("/papers/2502.02737v1")
    assert versioned.status_code == 200 and versioned.json() == plain.json()


async def test_old_style_ids_are_routed_as_paths(client, published) -> None:
    doc = (await client.get(f"/papers/{OLD_STYLE}")).json()
    assert doc["paper"]["arxiv_id"] == OLD_STYLE and doc["verdict"]["claim_id"] == "c-old"
    assert doc["verdict"]["status"] != "wrong"  # measured on a slice: not our protocol, C1
    history = (await client.get(f"/papers/{OLD_STYLE}/verdicts")).json()
    assert [v["claim_id"] for v in history["verdicts"]] == ["c-old"]


async def test_history_keeps_superseded_verdicts(client, published) -> None:
    response = await client.get("/papers/2502.02737/verdicts")
    assert response.status_code == 200
    verdicts = {v["id"]: v for v in response.json()["verdicts"]}
    assert len(verdicts) == 5  # 2 PRE, 3 POST
    assert verdicts[published.superseded.id]["is_current"] is False
    assert verdicts[published.wrong_post.id]["is_current"] is True
    current = [v for v in verdicts.values() if v["is_current"]]
    assert sorted(v["kind"] for v in current) == ["POST", "POST", "PRE", "PRE"]


async def test_lists_are_paged(client, published) -> None:
    every = (await client.get("/papers/2502.02737/verdicts")).json()
    pages = [(await client.get(f"/papers/2502.02737/verdicts?limit=2&offset={o}")).json() for o in (0, 2, 4)]
    assert [p["total"] for p in pages] == [5, 5, 5] and [len(p["verdicts"]) for p in pages] == [2, 2, 1]
    assert [v["id"] for p in pages for v in p["verdicts"]] == [v["id"] for v in every["verdicts"]]  # newest first
    whole = await client.get("/papers/2502.02737")
    one = await client.get("/papers/2502.02737?claims_limit=1&claims_offset=1")
    assert one.headers["X-Total-Claims"] == whole.headers["X-Total-Claims"] == str(len(whole.json()["claims"]))
    assert int(whole.headers["X-Total-Claims"]) >= 2
    assert one.json()["claims"] == whole.json()["claims"][1:2]
    for bad in (
        "/papers/2502.02737/verdicts?limit=0",
        "/papers/2502.02737/verdicts?limit=100000",
        "/papers/2502.02737?claims_limit=-1",
        "/claims/x?records_limit=99999999",
    ):
        assert (await client.get(bad)).status_code == 422, bad


async def test_claim_with_measurement_and_records(client, published) -> None:
    body = (await client.get(f"/claims/{published.confirmed.claim_id}", params={"records_limit": 3})).json()
    assert body["claim"]["citation"]["quoted_text"] == "68.7"
    assert body["measurement"]["value"] == pytest.approx(0.6871)
    assert body["measurement"]["records_sha256"] == published.records_sha256
    assert body["records_total"] == 5 and [r["doc_id"] for r in body["records"]] == [0, 1, 2]
    assert body["verdicts"]["post"]["status"] == "confirmed"
    no_records = (await client.get(f"/claims/{published.wrong.claim_id}")).json()
    assert no_records["records"] == [] and "no per-example records" in no_records["records_error"]


async def test_errors_say_what_was_wrong(client) -> None:
    missing = await client.get("/papers/2401.00001")
    assert missing.status_code == 404 and "2401.00001" in missing.json()["detail"]
    malformed = await client.get("/papers/2502.0273")
    assert malformed.status_code == 422 and "expected YYMM.NNNNN" in malformed.json()["detail"]
    assert (await client.get("/papers/2401.00001/verdicts")).status_code == 404
    assert (await client.get("/claims/nope")).status_code == 404
    for hostile in ("2401.00001v99999999999999999999", "2401.00001v0", "2401.00001v1234567", "x" * 5000):
        response = await client.get(f"/papers/{hostile}")
        assert response.status_code == 422, (hostile[:40], response.status_code)
        assert (await client.get(f"/papers/{hostile}/verdicts")).status_code == 422


async def test_paper_list(client) -> None:
    body = (await client.get("/papers")).json()
    assert body["total"] == 2
    by_id = {p["arxiv_id"]: p for p in body["items"]}
    assert by_id["2502.02737"]["status"] == "wrong" and by_id["2502.02737"]["claim_count"] == 2
    assert by_id["2502.02737"]["status_counts"] == {"confirmed": 1, "wrong": 1}
    assert by_id[OLD_STYLE]["claim_count"] == 1
    assert len((await client.get("/papers", params={"limit": 1})).json()["items"]) == 1


async def test_openapi_is_published(client) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert {"/papers", "/papers/{arxiv_id}", "/papers/{arxiv_id}/verdicts", "/claims/{claim_id}"} <= set(spec["paths"])


async def test_web_pages(client, published) -> None:
    index = await client.get("/")
    assert index.status_code == 200 and 'href="/ui/papers/hep-th/9901001"' in index.text
    page = await client.get("/ui/papers/2502.02737")
    assert page.status_code == 200
    assert f'data-claim-id="{published.wrong.claim_id}" data-status="wrong"' in page.text
    assert "45.50" in page.text and "“50.8”" in page.text  # measured value beside the cited cell
    assert (await client.get("/ui/papers/2401.00001")).status_code == 404


async def test_paper_list_search_and_status_filter_run_on_ferretdb(client, published) -> None:
    """?q= is an anchored ID prefix ($regex), ?status= the headline status (null: none), counts per status."""
    found = (await client.get("/", params={"q": "arXiv:2502.027"})).text
    assert 'data-arxiv-id="2502.02737"' in found and "hep-th/9901001" not in found.split("<table")[1]
    assert "Papers (1)" in found
    assert "No paper matches." in (await client.get("/", params={"q": "2502.0.7"})).text  # "." is literal
    wrong = (await client.get("/", params={"status": "wrong"})).text
    assert 'data-arxiv-id="2502.02737"' in wrong and 'data-arxiv-id="hep-th/9901001"' not in wrong
    index = (await client.get("/")).text
    counts = [(m.group(1), int(m.group(2))) for m in re.finditer(r'data-count-status="(\w+)">.*?</span> (\d+)', index)]
    assert counts == [("wrong", 1), ("inconclusive", 1)]  # the old-style paper: a slice, inconclusive
    assert index.index('data-arxiv-id="hep-th/9901001"') < index.index('data-arxiv-id="2502.02737"')  # newest first
    assert "No paper matches." in (await client.get("/", params={"status": "none"})).text  # both have a headline
    assert (await client.get("/", params={"status": "bogus"})).status_code == 422
    paged = (await client.get("/ui/papers/2502.02737", params={"status": "wrong"})).text
    assert f'data-claim-id="{published.wrong.claim_id}"' in paged
    assert f'id="claim-{published.confirmed.claim_id}"' not in paged
    assert "status = <b>wrong</b>" in paged


def test_lifespan_creates_the_client_from_settings(mongo_url: str, mongo_db_name: str) -> None:
    app = create_app(settings=MongoSettings(url=mongo_url, database=mongo_db_name))
    assert not hasattr(app.state, "store")  # nothing connects at import or creation time
    with TestClient(app) as http:
        assert http.get("/papers").json()["total"] == 0
