"""Judge one claim: `EvaluationPlanned` -> PRE verdict, `EvaluationCompleted` -> POST verdict, each
through gates C1 (in the rules) and G1 (the quoted text at its cell of the stored source), as
`VerdictValidated` keyed by arXiv ID. A claim that fails G1 raises `GateViolation` (dead letter)."""

from __future__ import annotations

from services.validator.rules import post_verdict, pre_verdict
from shared import topics
from shared.bus import Outgoing
from shared.gates import GateViolation
from shared.logging import get_logger
from shared.messages import EvaluationCompleted, EvaluationPlanned, VerdictValidated, utcnow
from shared.models import Claim, Verdict
from shared.sources import SourceChecker

log = get_logger("paperverdict.validator")


class Validator:
    def __init__(self, sources: SourceChecker) -> None:
        self.sources = sources

    async def grounded(self, claim: Claim, verdict: Verdict) -> Verdict:
        gate = await self.sources.check_g1(claim)
        if not gate.passed:
            raise GateViolation(gate, verdict.id)
        return verdict.model_copy(update={"gates": [*verdict.gates, gate]})

    async def on_planned(self, msg: EvaluationPlanned) -> list[Outgoing]:
        verdict = pre_verdict(msg.claim, msg.protocol, now=utcnow(), model_id=msg.model_id)
        verdict = await self.grounded(msg.claim, verdict)
        log.info("verdict_validated", kind=verdict.kind, status=verdict.status, verdict_id=verdict.id)
        out = VerdictValidated(
            correlation_id=msg.correlation_id, paper=msg.paper, version=msg.version, claim=msg.claim, verdict=verdict
        )
        return [Outgoing(topics.VERDICTS_VALIDATED, out, key=msg.paper.arxiv_id)]

    async def on_completed(self, msg: EvaluationCompleted) -> list[Outgoing]:
        verdict = post_verdict(msg.claim, msg.measurement, now=utcnow())
        verdict = await self.grounded(msg.claim, verdict)
        log.info("verdict_validated", kind=verdict.kind, status=verdict.status, verdict_id=verdict.id)
        out = VerdictValidated(
            correlation_id=msg.correlation_id,
            paper=msg.paper,
            version=msg.version,
            claim=msg.claim,
            verdict=verdict,
            measurement=msg.measurement,
        )
        return [Outgoing(topics.VERDICTS_VALIDATED, out, key=msg.paper.arxiv_id)]
