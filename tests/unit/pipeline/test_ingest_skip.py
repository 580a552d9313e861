"""The ingestor skips a paper version it has already ingested unless `force`, records a version only
after its event was published, and ingests a new arXiv version (fakes, no Kafka or MongoDB)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from structlog.testing import capture_logs

from services.ingestor.atom import AtomEntry
from services.ingestor.handlers import Ingestor
from shared import topics
from shared.bus import Outgoing
from shared.ids import ArxivId
from shared.messages import IngestPaper, PaperIngested
from shared.models import ArtifactRef


class FakeArxiv:
    def __init__(self, latest_version: int = 1) -> None:
        self.latest_version = latest_version
        self.calls: list[str] = []

    async def fetch_metadata(self, wanted: ArxivId) -> AtomEntry:
        self.calls.append(f"meta {wanted}")
        return AtomEntry(arxiv_id=wanted.base, latest_version=self.latest_version, title="T", abstract="A")

    async def fetch_eprint(self, arxiv_id: str, version: int) -> bytes:
        self.calls.append(f"eprint {arxiv_id}v{version}")
        return b"\\documentclass{article}"

    async def fetch_html(self, arxiv_id: str, version: int) -> bytes | None:
        return None

    async def fetch_pdf(self, arxiv_id: str, version: int) -> bytes | None:
        return None


class FakeArtifacts:
    async def put(self, data: bytes, *, kind, content_type: str, filename: str) -> ArtifactRef:  # type: ignore[no-untyped-def]
        return ArtifactRef(sha256="0" * 64, kind=kind, content_type=content_type, size=len(data), filename=filename)


class FakeLog:
    def __init__(self) -> None:
        self.versions: set[tuple[str, int]] = set()

    async def seen(self, arxiv_id: str, version: int) -> bool:
        return (arxiv_id, version) in self.versions

    async def record(self, ingested: PaperIngested) -> None:
        self.versions.add((ingested.paper.arxiv_id, ingested.version.version))


class FakeBus:
    def __init__(self, log: FakeLog, fail: bool = False) -> None:
        self.log, self.fail = log, fail
        self.published: list[Outgoing] = []
        self.recorded_before_publish = False

    async def publish_all(self, outputs: Sequence[Outgoing]) -> None:
        self.recorded_before_publish |= bool(self.log.versions)
        if self.fail:
            raise ConnectionError("broker unavailable")
        self.published.extend(outputs)


def make(latest_version: int = 1, fail: bool = False) -> tuple[Ingestor, FakeArxiv, FakeLog, FakeBus]:
    arxiv, log = FakeArxiv(latest_version), FakeLog()
    bus = FakeBus(log, fail)
    ingestor = Ingestor(arxiv, FakeArtifacts(), ingestions=log, publish=bus.publish_all)  # type: ignore[arg-type]
    return ingestor, arxiv, log, bus


async def test_second_request_for_the_same_version_is_skipped_and_logged() -> None:
    ingestor, arxiv, log, bus = make()
    assert await ingestor.handle(IngestPaper(arxiv_id="2502.02737")) == []
    assert [(o.topic, o.key, o.message.version.version) for o in bus.published] == [
        (topics.PAPERS_INGESTED, "2502.02737", 1)
    ]
    assert log.versions == {("2502.02737", 1)} and not bus.recorded_before_publish
    with capture_logs() as logs:
        assert await ingestor.handle(IngestPaper(arxiv_id="2502.02737")) == []
        assert await ingestor.handle(IngestPaper(arxiv_id="2502.02737v1")) == []
    assert len(bus.published) == 1
    assert [entry["event"] for entry in logs] == ["ingest_skipped", "ingest_skipped"]
    assert all(entry["version"] == 1 for entry in logs)
    # an explicit version we have is skipped before asking arXiv anything
    assert arxiv.calls == ["meta 2502.02737", "eprint 2502.02737v1", "meta 2502.02737"]


async def test_force_re_ingests() -> None:
    ingestor, arxiv, _, bus = make()
    await ingestor.handle(IngestPaper(arxiv_id="2502.02737"))
    await ingestor.handle(IngestPaper(arxiv_id="2502.02737", force=True))
    assert len(bus.published) == 2 and arxiv.calls.count("eprint 2502.02737v1") == 2


async def test_a_new_arxiv_version_is_ingested() -> None:
    ingestor, arxiv, log, bus = make(latest_version=1)
    await ingestor.handle(IngestPaper(arxiv_id="2502.02737"))
    arxiv.latest_version = 2
    await ingestor.handle(IngestPaper(arxiv_id="2502.02737"))
    assert [o.message.version.version for o in bus.published] == [1, 2]
    assert log.versions == {("2502.02737", 1), ("2502.02737", 2)}


async def test_a_failed_publish_records_nothing_so_the_retry_ingests_again() -> None:
    ingestor, _, log, bus = make(fail=True)
    with pytest.raises(ConnectionError):
        await ingestor.handle(IngestPaper(arxiv_id="2502.02737"))
    assert log.versions == set()
    bus.fail = False
    await ingestor.handle(IngestPaper(arxiv_id="2502.02737"))
    assert len(bus.published) == 1 and log.versions == {("2502.02737", 1)}


async def test_without_bookkeeping_every_request_is_ingested_and_returned() -> None:
    arxiv = FakeArxiv()
    ingestor = Ingestor(arxiv, FakeArtifacts())  # type: ignore[arg-type]
    for _ in range(2):
        out = await ingestor.handle(IngestPaper(arxiv_id="2502.02737"))
        assert [o.topic for o in out] == [topics.PAPERS_INGESTED]
    with pytest.raises(ValueError, match="both"):
        Ingestor(arxiv, FakeArtifacts(), ingestions=FakeLog())  # type: ignore[arg-type]
