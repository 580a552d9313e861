"""Extract one paper version: its stored artifacts -> one `ClaimExtracted` per numeric result cell
(keyed by model id), then `ExtractionCompleted` (keyed by arXiv ID)."""

from __future__ import annotations

import asyncio
from typing import Protocol

from services.extractor.adapters import load_artifacts
from shared import topics
from shared.artifacts import ArtifactReader
from shared.bus import Outgoing
from shared.logging import get_logger
from shared.messages import ClaimExtracted, ExtractionCompleted, PaperIngested
from shared.models import Claim
from shared.settings import ExtractorSettings

log = get_logger("paperverdict.extractor")


class ModelNames(Protocol):
    """Resolves what the paper's links and the bundled index left open (`hub_resolution.HubResolver`)."""

    async def resolve(self, arxiv_id: str, claims: list[Claim]) -> list[Claim]: ...


class Extractor:
    def __init__(self, artifacts: ArtifactReader, settings: ExtractorSettings, hub: ModelNames | None = None) -> None:
        self.artifacts = artifacts
        self.settings = settings
        self.hub = hub

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
        if self.hub is not None:  # online: one Hub question per distinct unresolved name, cached
            claims = await self.hub.resolve(msg.paper.arxiv_id, claims)
        log.info("claims_extracted", claims=len(claims), outcome=result.outcome)
        outputs = [
            Outgoing(
                topics.CLAIMS_EXTRACTED,
                ClaimExtracted(correlation_id=msg.correlation_id, paper=msg.paper, version=msg.version, claim=claim),
                key=topics.model_key(claim.model_id),
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
