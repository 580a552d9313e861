"""Ingest one paper: arXiv metadata + the version's artifacts into GridFS -> `PaperIngested`.

A paper version already ingested is skipped (logged `ingest_skipped`, the request still acked) unless
the request says `force`; a new arXiv version is a new version, so it is ingested. The version counts
as ingested only once its `PaperIngested` was acknowledged by Kafka: a crash or a failed publish in
between means the redelivered request ingests it again, never that it is lost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from services.ingestor.adapters import ArxivClient
from services.ingestor.atom import AtomEntry, detect_source_format
from shared import topics
from shared.artifacts import ArtifactWriter
from shared.bus import Outgoing
from shared.ids import paper_version_id, parse_arxiv_id
from shared.logging import get_logger
from shared.messages import IngestPaper, PaperIngested
from shared.models import ArtifactRef, PaperMeta, PaperVersion

log = get_logger("paperverdict.ingestor")

RENDERING_ENGINE = "arxiv-latexml"


class IngestionLog(Protocol):
    """The paper versions already ingested (services.ingestor.adapters.MongoIngestionLog)."""

    async def seen(self, arxiv_id: str, version: int) -> bool: ...

    async def record(self, ingested: PaperIngested) -> None: ...


Publish = Callable[[Sequence[Outgoing]], Awaitable[None]]


def paper_meta(entry: AtomEntry) -> PaperMeta:
    return PaperMeta(
        arxiv_id=entry.arxiv_id,
        title=entry.title,
        abstract=entry.abstract,
        primary_category=entry.primary_category,
        venue=entry.journal_ref,
        published_at=entry.published_at,
        latest_version=entry.latest_version,
        withdrawn=entry.withdrawn,
        authors=entry.authors,
        updated_at=entry.updated_at,
    )


class Ingestor:
    """`ingestions` and `publish` go together: with them, `handle` skips versions already ingested and
    publishes itself (so that it records a version only after its event is out); without them, every
    request is ingested and `handle` returns the event for the bus to publish."""

    def __init__(
        self,
        arxiv: ArxivClient,
        artifacts: ArtifactWriter,
        *,
        ingestions: IngestionLog | None = None,
        publish: Publish | None = None,
        public_base_url: str = "https://arxiv.org",
    ) -> None:
        if (ingestions is None) != (publish is None):
            raise ValueError("Ingestor needs both `ingestions` and `publish`, or neither")
        self.arxiv = arxiv
        self.artifacts = artifacts
        self.ingestions = ingestions
        self.publish = publish
        self.public_base_url = public_base_url.rstrip("/")

    async def ingest(self, request: IngestPaper) -> PaperIngested:
        """Fetch and store the requested version (the latest one when none is given), unconditionally."""
        wanted = parse_arxiv_id(request.arxiv_id)
        entry = await self.arxiv.fetch_metadata(wanted)
        return await self._ingest_version(request, entry, wanted.version or entry.latest_version)

    async def _already_ingested(self, request: IngestPaper, arxiv_id: str, version: int) -> bool:
        if request.force or self.ingestions is None or not await self.ingestions.seen(arxiv_id, version):
            return False
        log.info("ingest_skipped", version=version, reason="version already ingested; send force=true to re-ingest")
        return True

    async def _ingest_version(self, request: IngestPaper, entry: AtomEntry, version: int) -> PaperIngested:
        meta = paper_meta(entry)
        log.info("paper_metadata_fetched", title=meta.title, latest_version=entry.latest_version, version=version)

        artifacts: list[ArtifactRef] = []
        source_format = "none"
        html_offered = False
        if not meta.withdrawn:
            stem = f"{entry.arxiv_id.replace('/', '_')}v{version}"
            source = await self.arxiv.fetch_eprint(entry.arxiv_id, version)
            source_format = detect_source_format(source)
            if source:
                content_type = "application/pdf" if source_format == "pdf" else "application/x-eprint"
                artifacts.append(
                    await self.artifacts.put(
                        source, kind="source", content_type=content_type, filename=f"{stem}.eprint"
                    )
                )
            html = await self.arxiv.fetch_html(entry.arxiv_id, version)
            if html:
                html_offered = True
                artifacts.append(
                    await self.artifacts.put(html, kind="html", content_type="text/html", filename=f"{stem}.html")
                )
            pdf = await self.arxiv.fetch_pdf(entry.arxiv_id, version)
            if pdf:
                artifacts.append(
                    await self.artifacts.put(pdf, kind="pdf", content_type="application/pdf", filename=f"{stem}.pdf")
                )
        log.info(
            "paper_ingested",
            version=version,
            source_format=source_format,
            artifacts=len(artifacts),
            withdrawn=meta.withdrawn,
        )
        return PaperIngested(
            correlation_id=request.correlation_id,
            paper=meta,
            version=PaperVersion(
                id=paper_version_id(entry.arxiv_id, version),
                version=version,
                source_url=f"{self.public_base_url}/abs/{entry.arxiv_id}v{version}",
                rendered_html_url=f"{self.public_base_url}/html/{entry.arxiv_id}v{version}" if html_offered else None,
                rendering_engine=RENDERING_ENGINE if html_offered else None,
            ),
            artifacts=artifacts,
            source_format=source_format,  # type: ignore[arg-type]
        )

    async def handle(self, request: IngestPaper) -> list[Outgoing]:
        wanted = parse_arxiv_id(request.arxiv_id)
        if wanted.version is not None and await self._already_ingested(request, wanted.base, wanted.version):
            return []  # asked for a version we have: not even arXiv's metadata is fetched
        entry = await self.arxiv.fetch_metadata(wanted)
        version = wanted.version or entry.latest_version
        if await self._already_ingested(request, entry.arxiv_id, version):
            return []
        ingested = await self._ingest_version(request, entry, version)
        outputs = [Outgoing(topics.PAPERS_INGESTED, ingested, key=ingested.paper.arxiv_id)]
        if self.publish is None or self.ingestions is None:
            return outputs
        await self.publish(outputs)
        await self.ingestions.record(ingested)
        return []
