"""Extractor: `papers.ingested` -> one `claims.extracted` per numeric result cell (keyed by model
id), then `extraction.completed` (keyed by arXiv ID). Offsets commit only after all were published.

    faststream run services.extractor.app:app
"""

from __future__ import annotations

import asyncio
from typing import Any

from faststream import FastStream
from faststream.kafka import KafkaBroker

from services.extractor.adapters import load_artifacts, mongo_client
from shared import topics
from shared.bus import Bus, Outgoing, consume, json_decoder
from shared.logging import get_logger
from shared.messages import ClaimExtracted, ExtractionCompleted, PaperIngested
from shared.service import service_app
from shared.settings import ExtractorSettings, KafkaSettings, MongoSettings

SERVICE = "extractor"
UNRESOLVED_MODEL_KEY = "unresolved"
log = get_logger("paperverdict.extractor")


def claim_key(model_id: str | None) -> str:
    """Claims are keyed by model id, so that one evaluator loads a model once for all its claims."""
    return model_id or UNRESOLVED_MODEL_KEY


class Extractor:
    def __init__(self, artifacts: Any, settings: ExtractorSettings) -> None:
        self.artifacts = artifacts
        self.settings = settings

    async def handle(self, msg: PaperIngested) -> list[Outgoing]:
        from services.extractor.extract import PaperSources
        from services.extractor.isolated import extract_isolated

        stored = await load_artifacts(self.artifacts, msg.artifacts)
        source, source_sha = stored.get("source", (None, None))
        sources = PaperSources(
            arxiv_id=msg.paper.arxiv_id,
            version=msg.version.version,
            source=source,
            source_sha256=source_sha,
            html=stored.get("html", (None, None))[0],
            pdf=stored.get("pdf", (None, None))[0],
        )
        # Parsing untrusted LaTeX runs in a child process under memory and time limits; waiting for it in a
        # thread keeps the event loop (and the consumer heartbeat) free.
        result = await asyncio.to_thread(extract_isolated, sources, self.settings)
        claims = list(result.claims)
        log.info("claims_extracted", claims=len(claims), outcome=result.outcome)
        outputs = [
            Outgoing(
                topics.CLAIMS_EXTRACTED,
                ClaimExtracted(correlation_id=msg.correlation_id, paper=msg.paper, version=msg.version, claim=claim),
                key=claim_key(claim.model_id),
            )
            for claim in claims
        ]
        completed = ExtractionCompleted(
            correlation_id=msg.correlation_id,
            paper=msg.paper,
            version=msg.version,
            claim_count=len(claims),
            claim_ids=[c.claim_id for c in claims],
            outcome=result.outcome,
            detail=result.detail or "",
        )
        outputs.append(Outgoing(topics.EXTRACTION_COMPLETED, completed, key=msg.paper.arxiv_id))
        return outputs


def register(broker: KafkaBroker, bus: Bus, kafka: KafkaSettings, deps: dict[str, Any]) -> None:
    async def handle(msg: PaperIngested) -> list[Outgoing]:
        return await deps["extractor"].handle(msg)

    consume(
        broker,
        topics.PAPERS_INGESTED,
        bus=bus,
        group_id="paperverdict-extractor",
        decode=json_decoder(PaperIngested),
        handler=handle,
        settings=kafka,
        description="Stored LaTeX/HTML/PDF of a paper version (keyed by arXiv ID).",
    )
    broker.publisher(
        topics.CLAIMS_EXTRACTED,
        schema=ClaimExtracted,
        title=f"{topics.CLAIMS_EXTRACTED}:publish",
        description="One numeric result cell, grounded in the source; key = model id.",
    )
    broker.publisher(
        topics.EXTRACTION_COMPLETED,
        schema=ExtractionCompleted,
        title=f"{topics.EXTRACTION_COMPLETED}:publish",
        description="Extraction done for a paper version; key = arXiv ID.",
    )


def create_app() -> FastStream:
    mongo, settings = MongoSettings(), ExtractorSettings()

    async def start(deps: dict[str, Any], bus: Bus) -> None:
        from shared.artifacts import ArtifactStore

        deps["mongo"] = mongo_client(mongo)
        deps["extractor"] = Extractor(ArtifactStore(deps["mongo"][mongo.database]), settings)

    return service_app(SERVICE, register, start)


app = create_app()
