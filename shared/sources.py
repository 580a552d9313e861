"""The stored e-print of a claim, unpacked, for gate G1 (the validator applies it, the publisher
re-checks it). Reads GridFS through `ArtifactStore`; keeps the few most recent sources in memory,
since one paper's claims arrive together."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Protocol

from shared.artifacts import ArtifactNotFound
from shared.gates import G1, check_g1
from shared.models import Claim, GateOutcome
from shared.unpack import ArchiveTooLarge, CorruptArchive, UnsafeArchive, unpack_eprint


class SourceChecker(Protocol):
    """Gate G1 against a claim's stored source (`SourceReader`, or a fake in a test)."""

    async def check_g1(self, claim: Claim) -> GateOutcome: ...


class SourceReader:
    def __init__(self, artifacts: Any, *, max_bytes: int = 300_000_000, keep: int = 4) -> None:
        self.artifacts = artifacts
        self.max_bytes = max_bytes
        self.keep = keep
        self._cache: OrderedDict[str, dict[str, str]] = OrderedDict()

    async def files(self, sha256: str) -> dict[str, str]:
        if sha256 in self._cache:
            self._cache.move_to_end(sha256)
            return self._cache[sha256]
        files = unpack_eprint(await self.artifacts.get(sha256), max_bytes=self.max_bytes)
        self._cache[sha256] = files
        while len(self._cache) > self.keep:
            self._cache.popitem(last=False)
        return files

    async def check_g1(self, claim: Claim) -> GateOutcome:
        """G1 against the stored source: a claim without one, or whose source is gone, fails."""
        if not claim.source_sha256:
            return GateOutcome(gate=G1, passed=False, detail="the claim names no stored source (source_sha256)")
        try:
            files = await self.files(claim.source_sha256)
        except (ArtifactNotFound, UnsafeArchive, ArchiveTooLarge, CorruptArchive) as error:
            # Gone or unreadable: the claim cannot be grounded. (A MongoDB outage raises, and is retried.)
            return GateOutcome(gate=G1, passed=False, detail=f"stored source {claim.source_sha256[:12]}: {error}")
        return check_g1(claim, files)
