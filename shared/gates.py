"""Gates: rules a verdict must pass to be published, each with an id, applied by the validator and
re-checked by the publisher (which dead-letters a verdict that breaks one, whoever sent it).

- C1: `wrong` requires `protocol_match == "match"`. The validator enforces it (a would-be `wrong` with
  an `unknown` protocol becomes `partial`, with a `mismatch` becomes `inconclusive`); the publisher
  only checks it.
- G1: the claim's quoted text is present in the stored source, at the cited span.

Pure functions; the outcomes are stored in `Verdict.gates`.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.models import Claim, GateOutcome, Verdict, VerdictStatus

C1 = "C1"
G1 = "G1"

C1_DOWNGRADE: dict[str, VerdictStatus] = {"unknown": "partial", "mismatch": "inconclusive"}


class GateViolation(ValueError):
    """A verdict broke a gate: never retry it, dead-letter it with this message.

    A ValueError so that the bus treats it as permanent (dead-letter at once)."""

    def __init__(self, outcome: GateOutcome, verdict_id: str | None = None) -> None:
        self.outcome = outcome
        self.gate = outcome.gate
        self.verdict_id = verdict_id
        super().__init__(f"gate {outcome.gate} failed for verdict {verdict_id or '?'}: {outcome.detail}")


def c1_status(status: VerdictStatus, protocol_match: str) -> VerdictStatus:
    """The status C1 allows: `wrong` only with a matching protocol."""
    if status == "wrong" and protocol_match != "match":
        return C1_DOWNGRADE[protocol_match]
    return status


def check_c1(verdict: Verdict) -> GateOutcome:
    """Publisher re-check: fails when a verdict says `wrong` without a matching protocol."""
    if verdict.status == "wrong" and verdict.protocol_match != "match":
        return GateOutcome(
            gate=C1,
            passed=False,
            detail=f"status 'wrong' requires protocol_match 'match', got {verdict.protocol_match!r}",
        )
    return GateOutcome(
        gate=C1, passed=True, detail=f"status {verdict.status!r} allowed with protocol_match {verdict.protocol_match!r}"
    )


def enforce_c1(verdict: Verdict) -> Verdict:
    """Downgrade a would-be `wrong` per C1 and record the outcome (idempotent)."""
    allowed = c1_status(verdict.status, verdict.protocol_match)
    if allowed != verdict.status:
        outcome = GateOutcome(
            gate=C1,
            passed=True,
            detail=(
                f"would-be 'wrong' with protocol_match {verdict.protocol_match!r} downgraded to {allowed!r}: "
                "a claim is only called wrong when we measured its own protocol"
            ),
            changed_status_from=verdict.status,
        )
        return verdict.model_copy(update={"status": allowed, "gates": [*verdict.gates, outcome]})
    if any(g.gate == C1 and g.passed for g in verdict.gates):
        return verdict
    return verdict.model_copy(update={"gates": [*verdict.gates, check_c1(verdict)]})


def check_g1(claim: Claim, source_files: Mapping[str, str]) -> GateOutcome:
    """The quoted text is in `source_files[evidence.source_file][char_start:char_end]`."""
    evidence = claim.evidence
    quoted = claim.citation.quoted_text
    if not quoted:
        return GateOutcome(gate=G1, passed=False, detail="the claim has no quoted text")
    if evidence.source_file is None or evidence.char_start is None or evidence.char_end is None:
        return GateOutcome(gate=G1, passed=False, detail="the claim has no source span (file, char_start, char_end)")
    text = source_files.get(evidence.source_file)
    if text is None:
        return GateOutcome(gate=G1, passed=False, detail=f"source file {evidence.source_file!r} is not in the source")
    start, end = evidence.char_start, evidence.char_end
    if not 0 <= start <= end <= len(text):
        return GateOutcome(
            gate=G1,
            passed=False,
            detail=f"span [{start}, {end}) is outside {evidence.source_file!r} ({len(text)} characters)",
        )
    if quoted not in text[start:end]:
        return GateOutcome(
            gate=G1,
            passed=False,
            detail=f"{quoted!r} is not in {evidence.source_file}[{start}:{end}] = {text[start:end][:80]!r}",
        )
    return GateOutcome(gate=G1, passed=True, detail=f"{quoted!r} found in {evidence.source_file}[{start}:{end}]")


def require(outcome: GateOutcome, verdict_id: str | None = None) -> GateOutcome:
    """Raise GateViolation unless the outcome passed."""
    if not outcome.passed:
        raise GateViolation(outcome, verdict_id)
    return outcome
