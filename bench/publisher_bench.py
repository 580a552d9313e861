"""Publisher write cost: seconds per verdict for a paper with 50 and with 300 claims, and their ratio.

Run: python bench/publisher_bench.py [--verdicts K] [--sizes 50 300]
Needs the local FerretDB (bash deploy/local/up.sh; the URL is read from .run/services.env or PV_MONGO_URL).
For each size a fresh database gets one paper whose claims all carry a PRE verdict (seeded straight into
the `claims` and `verdicts` collections, then the document is rebuilt once); then K POST verdicts on distinct claims go
through `PublisherStore.record_verdict`, timed. A write cost independent of the claim count gives a
ratio near 1.0.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import structlog  # noqa: E402
from motor.motor_asyncio import AsyncIOMotorClient  # noqa: E402

from services.publisher.store import PublisherStore  # noqa: E402
from services.validator.rules import post_verdict, pre_verdict  # noqa: E402
from shared.documents import ClaimEntry  # noqa: E402
from tests.unit.verdicts import factories as f  # noqa: E402


def mongo_url() -> str:
    if os.environ.get("PV_MONGO_URL"):
        return os.environ["PV_MONGO_URL"]
    env = ROOT / ".run" / "services.env"
    for line in env.read_text().splitlines() if env.exists() else []:
        key, _, value = line.partition("=")
        if key.strip() == "PV_MONGO_URL":
            return value.strip()
    raise SystemExit("no FerretDB: run `bash deploy/local/up.sh` first (it writes .run/services.env)")


async def seconds_per_verdict(client: AsyncIOMotorClient, claim_count: int, verdicts: int) -> float:
    name = f"pvbench_publisher_{claim_count}_{uuid.uuid4().hex[:8]}"
    db = client[name]
    try:
        store = PublisherStore(db)
        await store.ensure_indexes()
        await store.record_paper(f.ingested())
        claims = [f.claim(claim_id=f"c{i:04d}", row_index=i, col_index=i % 7) for i in range(claim_count)]
        seeded, history = [], []
        for claim in claims:
            pre = pre_verdict(claim, f.run(), now=f.NOW, model_id=f.MODEL)
            history.append(
                {
                    **pre.model_dump(mode="python"),
                    "_id": pre.id,
                    "arxiv_id": "2502.02737",
                    "claim_id": claim.claim_id,
                    "paper_version": claim.version,
                }
            )
            seeded.append(
                {
                    "_id": claim.claim_id,
                    "claim_id": claim.claim_id,
                    "arxiv_id": claim.arxiv_id,
                    "version": claim.version,
                    "claim": claim.model_dump(mode="python"),
                    "verdicts": {
                        "pre": pre.model_copy(update={"is_current": True}).model_dump(mode="python"),
                        "post": None,
                    },
                }
            )
        await store.claims.insert_many(seeded)
        await store.verdicts.insert_many(history)
        write_cards = getattr(store, "_write_cards", None)  # each claim's card and row, as its projection writes them
        if write_cards is not None:
            await write_cards("2502.02737", 1, [ClaimEntry.model_validate(row) for row in seeded])
        rebuild = getattr(store, "rebuild_document", None) or store._refresh  # _refresh: before the change
        await rebuild("2502.02737")
        step = max(1, claim_count // verdicts)
        messages = []
        for k, claim in enumerate(claims[::step][:verdicts]):
            measurement = f.measurement(0.40 + 0.01 * k, measurement_id=f"m{k}")
            messages.append(f.validated(claim, post_verdict(claim, measurement, now=f.NOW), measurement))
        start = time.perf_counter()
        for msg in messages:
            assert await store.record_verdict(msg) is True
        elapsed = time.perf_counter() - start
        doc = await store.get_document("2502.02737")
        assert doc is not None and len(doc.claims) == claim_count, "document lost claims"
        return elapsed / len(messages)
    finally:
        await client.drop_database(name)


async def amain(sizes: list[int], verdicts: int) -> None:
    client: AsyncIOMotorClient = AsyncIOMotorClient(mongo_url(), serverSelectionTimeoutMS=5000)
    try:
        figures = {n: await seconds_per_verdict(client, n, verdicts) for n in sizes}
    finally:
        client.close()
    for n, s in figures.items():
        print(f"{n:>5} claims: {s:.4f} s/verdict ({verdicts} verdicts)")
    if len(sizes) >= 2:
        print(f"ratio {sizes[-1]}/{sizes[0]}: {figures[sizes[-1]] / figures[sizes[0]]:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verdicts", type=int, default=10)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 300])
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    asyncio.run(amain(args.sizes, args.verdicts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
