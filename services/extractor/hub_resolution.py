"""Model resolution online: the names nothing offline decided (`models.Resolution.hub_query`), asked of
the Hugging Face Hub once per distinct name and cached (MongoDB in the service).

Sources, most trusted first:
1. the paper's own checkpoints: models whose card is tagged `arxiv:<id>` (one Hub call per paper), whose
   repo name reads as the printed name (same family, version, size, variant, release);
2. Hub search: a repo whose name is exactly the printed name (with -Instruct etc. when the table is of
   instruction-tuned models), in the family's own organisation when the family is known.

Every Hub candidate is checked before it is used (`hub.reject_reason`): it must exist, be a causal LM
with safetensors weights, have a parameter count consistent with the printed size, and be the variant
the table implies. When the Hub cannot be reached the claims stay unmeasurable with that reason; no
message fails for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from services.extractor.checkpoints import CheckpointIndex, bundled_index, squash
from services.extractor.model_names import PrintedModel, parse_model_name
from shared.benchmarks import BENCHMARKS
from shared.logging import get_logger
from shared.models import Claim

log = get_logger(__name__)

_INSTRUCT_SUFFIXES = ("instruct", "chat", "it")


class HubModelInfo(Protocol):
    repo: str
    params_b: float | None


class HubLookup(Protocol):
    def paper_models(self, arxiv_id: str, limit: int = 100) -> Sequence[Any]: ...

    def search(self, query: str, limit: int = 20) -> Sequence[Any]: ...

    def info(self, repo: str) -> Any | None: ...


class ResolutionStore(Protocol):
    async def get(self, key: str) -> dict[str, Any] | None: ...

    async def put(self, key: str, value: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class HubDecision:
    repo: str | None
    source: str
    evidence: str
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"repo": self.repo, "source": self.source, "evidence": self.evidence, "reason": self.reason}


def cache_key(query: str, want_instruct: bool, arxiv_id: str | None) -> str:
    """Printed name + context: the paper matters only through its tagged models."""
    return f"{squash(query)}|{'instruct' if want_instruct else 'base'}|{arxiv_id or '-'}"


def same_checkpoint(printed: PrintedModel, repo_name: str, index: CheckpointIndex) -> bool:
    """A repo name read as a printed name names the same checkpoint: every field equal, nothing left over."""
    theirs = parse_model_name(repo_name, index)
    if printed.family is None or theirs.family is None or printed.unexplained or theirs.unexplained:
        return squash(repo_name) == squash(printed.text)
    same_size = printed.size == theirs.size or (
        printed.size_b is not None and theirs.size_b is not None and abs(printed.size_b - theirs.size_b) < 1e-9
    )
    return (
        printed.family.key == theirs.family.key
        and printed.version == theirs.version
        and same_size
        and (printed.variant or "base") == (theirs.variant or "base")
        and (printed.qualifier is None or printed.qualifier == theirs.qualifier)
    )


def decide(
    query: str,
    want_instruct: bool,
    hub: HubLookup,
    paper_models: Sequence[Any],
    index: CheckpointIndex,
    reject: Any,
) -> HubDecision:
    """The Hub's answer for one printed name. May raise the adapter's transient error (callers catch it)."""
    printed = parse_model_name(query, index)
    if printed.variant is None and want_instruct:
        printed = replace(printed, variant="instruct")
    tagged = [m for m in paper_models if same_checkpoint(printed, m.repo.split("/", 1)[1], index)]
    if len(tagged) == 1:
        return _checked(tagged[0], printed, want_instruct, reject, "hub: the paper's own model (arxiv tag)")
    if len(tagged) > 1:
        repos = ", ".join(sorted(m.repo for m in tagged))
        return HubDecision(None, "", "", f"model '{query}' is ambiguous among the paper's Hub models: {repos}")
    names = {squash(query)}
    if want_instruct and printed.variant is None:
        names = {squash(f"{query} {suffix}") for suffix in _INSTRUCT_SUFFIXES}
    org = printed.family.org if printed.family is not None else None
    # the Hub's search matches substrings of repo ids: ask with the printed name's words hyphenated
    exact = [m for m in hub.search("-".join(query.split())) if squash(m.repo.split("/", 1)[1]) in names]
    if org is not None:
        exact = [m for m in exact if m.repo.split("/", 1)[0].lower() == org.lower()]
    if len(exact) != 1:
        why = "no repo of that exact name" if not exact else f"several repos of that name ({len(exact)})"
        return HubDecision(None, "", "", f"model '{query}' has no Hugging Face id (Hub search: {why})")
    info = hub.info(exact[0].repo)
    if info is None:
        return HubDecision(None, "", "", f"model '{query}': the Hub's search result {exact[0].repo} does not exist")
    return _checked(info, printed, want_instruct, reject, "hub search")


def _checked(model: Any, printed: PrintedModel, want_instruct: bool, reject: Any, source: str) -> HubDecision:
    # the variant to check: the printed name's, else the table's instruct context; a base table that prints a
    # bare name does not make a repo whose card says "chat" wrong, so nothing is required then
    want = True if printed.variant == "instruct" or want_instruct else (False if printed.variant == "base" else None)
    why = reject(model, printed.size_b, want)
    if why:
        return HubDecision(None, "", "", f"model '{printed.text}': Hub candidate {model.repo} rejected: {why}")
    params = f", {model.params_b:g}B parameters" if getattr(model, "params_b", None) else ""
    return HubDecision(model.repo, source, f"'{printed.text}' -> {model.repo} ({source}{params}; checked)")


def _unreachable(query: str, exc: Exception) -> HubDecision:
    return HubDecision(
        None, "", "", f"model '{query}': the Hugging Face Hub could not be reached ({exc}); not resolved"
    )


class HubResolver:
    """Fills the model ids of a paper's claims from the Hub, one call per distinct name, cached."""

    def __init__(
        self,
        hub: HubLookup,
        store: ResolutionStore,
        *,
        unavailable: type[Exception],
        reject: Any,
        index: CheckpointIndex | None = None,
    ) -> None:
        self.hub = hub
        self.store = store
        self.unavailable = unavailable
        self.reject = reject
        self.index = index or bundled_index()

    async def resolve(self, arxiv_id: str, claims: list[Claim]) -> list[Claim]:
        import asyncio

        wanted = {
            (c.model_resolution.hub_query, c.model_resolution.want_instruct)
            for c in claims
            if c.model_id is None and c.model_resolution is not None and c.model_resolution.hub_query
        }
        if not wanted:
            return claims
        decisions: dict[tuple[str, bool], HubDecision] = {}
        paper_models: Sequence[Any] | None = None
        down: Exception | None = None  # one outage per paper: the names after it are not asked (nor timed out)
        for query, instruct in sorted(wanted):
            key = cache_key(query, instruct, arxiv_id)
            cached = await self.store.get(key)
            if cached is not None:
                decisions[query, instruct] = HubDecision(
                    cached.get("repo"),
                    str(cached.get("source") or ""),
                    str(cached.get("evidence") or ""),
                    cached.get("reason"),
                )
                continue
            if down is not None:
                decisions[query, instruct] = _unreachable(query, down)
                continue
            try:
                if paper_models is None:
                    paper_models = await asyncio.to_thread(self.hub.paper_models, arxiv_id)
                decision = await asyncio.to_thread(
                    decide, query, instruct, self.hub, paper_models, self.index, self.reject
                )
            except self.unavailable as exc:
                log.warning("hub_unavailable", arxiv_id=arxiv_id, name=query, error=str(exc)[:200])
                down = exc
                decisions[query, instruct] = _unreachable(query, exc)
                continue
            await self.store.put(key, {**decision.as_dict(), "checked_at": datetime.now(UTC).isoformat()})
            decisions[query, instruct] = decision
        return [self._apply(c, decisions) for c in claims]

    @staticmethod
    def _apply(claim: Claim, decisions: dict[tuple[str, bool], HubDecision]) -> Claim:
        res = claim.model_resolution
        if claim.model_id is not None or res is None or not res.hub_query:
            return claim
        decision = decisions.get((res.hub_query, res.want_instruct))
        if decision is None:
            return claim
        reasons = [r for r in (claim.unmeasurable_reason or "").split("; ") if r and r != res.reason]
        if decision.repo is None:
            reasons = [decision.reason or "", *reasons] if decision.reason else reasons
            update = {"reason": decision.reason or res.reason}
            return claim.model_copy(
                update={
                    "unmeasurable_reason": "; ".join(reasons) or None,
                    "model_resolution": res.model_copy(update=update),
                }
            )
        resolution = res.model_copy(update={"source": decision.source, "evidence": decision.evidence, "reason": None})
        return claim.model_copy(
            update={
                "model_id": decision.repo,
                "model_resolution": resolution,
                "unmeasurable_reason": "; ".join(reasons) or None,
                "measurable": not reasons
                and (claim.protocol.benchmark in BENCHMARKS or claim.protocol.task is not None),
            }
        )
