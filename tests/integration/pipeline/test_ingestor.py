"""The ingestor's arXiv client and GridFS writes against the local arXiv server (with injected
faults) and the real FerretDB."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import httpx
import pytest

from services.ingestor.adapters import ArxivClient, ArxivUnavailable, UnknownPaper
from services.ingestor.handlers import Ingestor
from shared.artifacts import ArtifactStore
from shared.errors import PermanentError
from shared.ids import parse_arxiv_id, sha256_hex
from shared.messages import IngestPaper
from shared.settings import ArxivSettings
from tests.integration.pipeline import local_arxiv

ROOT = Path(__file__).resolve().parents[3]
arxiv_server = local_arxiv.load()

pytestmark = pytest.mark.timeout(120)

TEX = r"""\documentclass{article}\begin{document}
\begin{table}\caption{Results}\label{tab:main}\begin{tabular}{lc}Model & ARC-Easy \\ tiny & 41.2 \\\end{tabular}\end{table}
\end{document}"""


@pytest.fixture
def papers_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "papers" / "2611.00901"
    (folder / "render").mkdir(parents=True)
    (folder / "meta.json").write_text(
        json.dumps(
            {
                "arxiv_id": "2611.00901",
                "title": "A Tiny Paper",
                "abstract": "We test things.",
                "authors": ["Ada Lovelace"],
                "primary_category": "cs.CL",
                "published": "2026-11-02T00:00:00Z",
                "latest_version": 2,
            }
        )
    )
    (folder / "eprint.tex.gz").write_bytes(gzip.compress(TEX.encode(), mtime=0))
    (folder / "render" / "paper.html").write_text("<html><body><table><tr><td>41.2</td></tr></table></body></html>")
    withdrawn = tmp_path / "papers" / "2611.00902"
    withdrawn.mkdir()
    (withdrawn / "meta.json").write_text(json.dumps({"title": "Gone", "abstract": "x", "withdrawn": True}))
    return tmp_path / "papers"


@pytest.fixture
def server(papers_dir: Path):
    faults = arxiv_server.Faults()
    srv = arxiv_server.serve("127.0.0.1", 0, papers_dir, faults)
    yield srv
    srv.shutdown()
    srv.server_close()


def _settings(server) -> ArxivSettings:
    host, port = server.server_address[:2]
    return ArxivSettings(
        base_url=f"http://{host}:{port}",
        api_url=f"http://{host}:{port}/api/query",
        request_interval_s=0,
        max_retries=4,
        timeout_s=10,
    )


async def test_ingest_stores_artifacts_after_injected_503s(server, mongo_db) -> None:
    server.faults.count, server.faults.status = 2, 503
    client = ArxivClient(_settings(server))
    store = ArtifactStore(mongo_db)
    try:
        ingested = await Ingestor(client, store).ingest(IngestPaper(arxiv_id="2611.00901"))
    finally:
        await client.aclose()
    assert ingested.paper.title == "A Tiny Paper" and ingested.paper.latest_version == 2
    assert ingested.paper.authors == ["Ada Lovelace"] and ingested.paper.primary_category == "cs.CL"
    assert ingested.version.version == 2 and ingested.source_format == "tex"
    assert ingested.version.rendered_html_url and ingested.version.rendered_html_url.endswith("/html/2611.00901v2")
    assert sorted(a.kind for a in ingested.artifacts) == ["html", "source"]  # no PDF offered
    source = next(a for a in ingested.artifacts if a.kind == "source")
    data = await store.get(source.sha256)
    assert gzip.decompress(data).decode() == TEX and sha256_hex(data) == source.sha256
    assert server.faults.faulted == 2
    assert client.requests_made == 2 + 4  # two faults, then api, e-print, html, pdf


async def test_429_with_retry_after_is_honoured(server, mongo_db) -> None:
    server.faults.count, server.faults.status, server.faults.retry_after = 1, 429, "0"
    client = ArxivClient(_settings(server))
    try:
        entry = await client.fetch_metadata(parse_arxiv_id("2611.00901v1"))
    finally:
        await client.aclose()
    assert entry.arxiv_id == "2611.00901" and server.faults.faulted == 1


async def test_persistent_5xx_gives_up_as_transient(server) -> None:
    server.faults.count, server.faults.status = 100, 502
    settings = _settings(server).model_copy(update={"max_retries": 2})
    client = ArxivClient(settings)
    try:
        with pytest.raises(ArxivUnavailable):
            await client.fetch_metadata(parse_arxiv_id("2611.00901"))
    finally:
        await client.aclose()
    assert server.faults.faulted == 3


async def test_unknown_paper_is_a_permanent_error(server) -> None:
    client = ArxivClient(_settings(server))
    try:
        with pytest.raises(UnknownPaper, match="arXiv has no paper '2611.09999'") as info:
            await client.fetch_metadata(parse_arxiv_id("2611.09999"))
    finally:
        await client.aclose()
    assert isinstance(info.value, PermanentError)


async def test_withdrawn_paper_is_ingested_without_artifacts(server, mongo_db) -> None:
    client = ArxivClient(_settings(server))
    try:
        ingested = await Ingestor(client, ArtifactStore(mongo_db)).ingest(IngestPaper(arxiv_id="2611.00902"))
    finally:
        await client.aclose()
    assert ingested.paper.withdrawn and ingested.artifacts == [] and ingested.source_format == "none"


async def test_download_limit(server) -> None:
    settings = _settings(server).model_copy(update={"max_download_bytes": 10})
    client = ArxivClient(settings)
    try:
        with pytest.raises(PermanentError, match="PV_ARXIV_MAX_DOWNLOAD_BYTES"):
            await client.fetch_eprint("2611.00901", 2)
    finally:
        await client.aclose()


async def test_gridfs_put_is_idempotent(mongo_db) -> None:
    store = ArtifactStore(mongo_db)
    first = await store.put(b"hello" * 100_000, kind="records", content_type="application/gzip", filename="r.gz")
    second = await store.put(b"hello" * 100_000, kind="records", content_type="application/gzip", filename="r.gz")
    assert first == second
    assert await mongo_db["artifacts.files"].count_documents({}) == 1
    assert await store.get(first.sha256) == b"hello" * 100_000


async def test_local_server_answers_like_arxiv(server) -> None:
    base = _settings(server).base_url
    async with httpx.AsyncClient() as http:
        feed = (await http.get(f"{base}/api/query", params={"id_list": "2502.0273"})).text
        assert "<title>Error</title>" in feed and "incorrect id format for 2502.0273" in feed
        assert (await http.get(f"{base}/pdf/2611.00901v1")).status_code == 404
        assert (await http.get(f"{base}/abs/2611.00901")).status_code == 200
        assert (await http.get(f"{base}/e-print/2611.00901v3")).status_code == 404


async def test_ingestor_skips_a_version_it_has_ingested_unless_forced(server, papers_dir, mongo_db) -> None:
    from structlog.testing import capture_logs

    from services.ingestor.adapters import MongoIngestionLog

    published: list = []

    async def publish(outputs) -> None:  # type: ignore[no-untyped-def]
        published.extend(o.message for o in outputs)

    client = ArxivClient(_settings(server))
    ingestor = Ingestor(client, ArtifactStore(mongo_db), ingestions=MongoIngestionLog(mongo_db), publish=publish)
    try:
        with capture_logs() as logs:
            for request in (
                IngestPaper(arxiv_id="2611.00901"),
                IngestPaper(arxiv_id="2611.00901"),
                IngestPaper(arxiv_id="2611.00901v2"),
                IngestPaper(arxiv_id="2611.00901v1"),
                IngestPaper(arxiv_id="2611.00901", force=True),
            ):
                assert await ingestor.handle(request) == []
            meta = json.loads((papers_dir / "2611.00901" / "meta.json").read_text())
            (papers_dir / "2611.00901" / "meta.json").write_text(json.dumps({**meta, "latest_version": 3}))
            await ingestor.handle(IngestPaper(arxiv_id="2611.00901"))  # arXiv has a new version
            await ingestor.handle(IngestPaper(arxiv_id="2611.00901"))
    finally:
        await client.aclose()
    assert [m.version.version for m in published] == [2, 1, 2, 3]
    assert [e["event"] for e in logs if e["event"] == "ingest_skipped"] == ["ingest_skipped"] * 3
    stored = {d["_id"]: d async for d in mongo_db["ingestions"].find({})}
    assert sorted(stored) == ["2611.00901v1", "2611.00901v2", "2611.00901v3"]
    assert stored["2611.00901v2"]["version"] == 2 and stored["2611.00901v2"]["artifacts"]
    assert await mongo_db["papers"].count_documents({}) == 0  # the read model is the publisher's
