"""A small published read model for the API and browser tests: two papers (one old-style ID), three
claims with PRE and POST verdicts, one superseded POST, and per-example records in GridFS."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import timedelta

from services.publisher.store import PublisherStore
from services.validator.rules import post_verdict, pre_verdict
from shared.artifacts import ArtifactStore
from shared.models import Claim, Verdict
from tests.unit.verdicts import factories as f

OLD_STYLE = "hep-th/9901001"


@dataclass
class Published:
    confirmed: Claim
    wrong: Claim
    old_style: Claim
    superseded: Verdict
    wrong_post: Verdict
    records_sha256: str


async def publish_sample(db) -> Published:  # type: ignore[no-untyped-def]
    store = PublisherStore(db)
    await store.ensure_indexes()
    await store.record_paper(f.ingested())
    await store.record_paper(f.ingested(OLD_STYLE, title="Old-style paper"))
    records = [
        {"doc_id": i, "target": "A", "prediction": "A" if i % 2 else "B", "correct": bool(i % 2)} for i in range(5)
    ]
    blob = gzip.compress("\n".join(json.dumps(r) for r in records).encode())
    ref = await ArtifactStore(db).put(
        blob, kind="records", content_type="application/jsonl+gzip", filename="records.jsonl.gz"
    )

    confirmed = f.claim(
        claim_id="c-hellaswag",
        row_index=3,
        col_index=4,
        citation=dict(column="HellaSwag", reported_value=68.7, quoted_text="68.7"),
        protocol=dict(
            benchmark="hellaswag",
            benchmark_label="HellaSwag",
            split="validation",
            n_shot=0,
            metric="acc_norm",
            formulation="cloze",
        ),
    )
    hs_run = f.run(
        benchmark="hellaswag", split="validation", n_shot=0, metric="acc_norm", formulation="cloze", examples=10042
    )
    m_ok = f.measurement(0.6871, protocol=hs_run, measurement_id="m-hs", records_sha256=ref.sha256)
    wrong = f.claim()
    m_old = f.measurement(0.47, measurement_id="m-mmlu-old")
    m_new = f.measurement(0.455, measurement_id="m-mmlu-new")
    for claim, run, measurement in ((confirmed, hs_run, m_ok), (wrong, f.run(), m_old)):
        await store.record_verdict(f.validated(claim, pre_verdict(claim, run, now=f.NOW, model_id=f.MODEL)))
        await store.record_verdict(f.validated(claim, post_verdict(claim, measurement, now=f.NOW), measurement))
    superseded = post_verdict(wrong, m_old, now=f.NOW)
    wrong_post = post_verdict(wrong, m_new, now=f.NOW + timedelta(hours=1))
    await store.record_verdict(f.validated(wrong, wrong_post, m_new))

    old_style = f.claim(claim_id="c-old", arxiv_id=OLD_STYLE, citation=dict(paper_arxiv_id=OLD_STYLE))
    m_slice = f.measurement(0.49, protocol=f.run(full_set=False, examples=500), measurement_id="m-old")
    await store.record_verdict(
        f.validated(old_style, post_verdict(old_style, m_slice, now=f.NOW), m_slice, arxiv_id=OLD_STYLE)
    )
    return Published(confirmed, wrong, old_style, superseded, wrong_post, ref.sha256)
