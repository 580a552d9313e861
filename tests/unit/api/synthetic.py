"""A synthetic published document of any size for the paper page's tests and bench/page_bench.py:
claims over several tables and models with every status, fraction- and percent-scale metrics, claims
that cannot be measured (three reasons) and hostile text in headers."""

from __future__ import annotations

from services.publisher.documents import build_document
from services.validator.rules import post_verdict, pre_verdict
from shared.documents import ClaimEntry, PublishedDocument, VerdictPair
from tests.unit.verdicts import factories as f

REASONS = ("model not released", "judged by an LLM", "<b>derived</b> cell: an average")
HOSTILE = '<script>alert("x")</script>'


def synthetic_entry(i: int) -> ClaimEntry:
    """Claim `i`: the kind cycles with i (measured: close, far, wide interval, no shot count; planned only;
    unmeasurable)."""
    kind = i % 10
    table = f"Table {i % 7 + 1}"
    model = f"org/model-{i % 5}"
    fraction = i % 3 == 0
    reported = 0.508 if fraction else 50.8
    claim = f.claim(
        claim_id=f"c{i:05d}",
        table_label=table,
        row_index=i,
        model_id=model,
        model_label=f"Model {i % 5} {HOSTILE if i % 11 == 0 else ''}",
        citation=dict(
            section=table,
            column=f"MMLU {i}" if i % 13 else HOSTILE,
            reported_value=reported,
            quoted_text=f"{reported}",
        ),
        # no shot count stated: a close measurement is downgraded to partial (gate C1)
        protocol=dict(scale="fraction" if fraction else "percent", n_shot=None if kind == 5 else 5),
        measurable=kind < 8,
        unmeasurable_reason=None if kind < 8 else REASONS[i % 3],
    )
    pre = pre_verdict(claim, f.run(), now=f.NOW)
    if kind >= 6:  # planned only, or not measurable
        return ClaimEntry(claim_id=claim.claim_id, claim=claim, verdicts=VerdictPair(pre=pre))
    value = (0.508, 0.47, 0.40, 0.509, 0.52, 0.508)[kind]
    measurement = f.measurement(value, measurement_id=f"m{i}", model_id=model, stderr=0.004 if kind != 3 else 0.05)
    post = post_verdict(claim, measurement, now=f.NOW)
    return ClaimEntry(claim_id=claim.claim_id, claim=claim, verdicts=VerdictPair(pre=pre, post=post))


def synthetic_document(claims: int) -> PublishedDocument:
    entries = [synthetic_entry(i) for i in range(claims)]
    return build_document(f.paper(title=f"Synthetic {HOSTILE}"), f.version(), entries, now=f.NOW)
