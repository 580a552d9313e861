"""Paper page render cost: server-side render time and page size for a synthetic paper with many claims.

Run: python bench/page_bench.py [--claims 4000] [--repeat 5] [--ferretdb]
Builds the document in memory (tests/unit/api/synthetic.py: every status, percent and fraction scales,
three unmeasurable reasons, hostile header text), then times `paper_page.paper_detail` (the HTML the
server sends for /ui/papers/{id}), unfiltered and with a status filter. With --ferretdb it also stores
the claims and their cards in a scratch database of the local FerretDB (bash deploy/local/up.sh) and
times what the route does (the paper, every claim's card, the full claims of the rows shown, the
render) beside the whole-document read it replaced. Targets (issue #20): under 1 s and under
2 MB. A benchmark, not a test: it prints numbers and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from motor.motor_asyncio import AsyncIOMotorClient  # noqa: E402

from bench.publisher_bench import mongo_url  # noqa: E402
from services.api import paper_page  # noqa: E402
from services.api.summary import Filters, plot_points  # noqa: E402
from services.publisher.cards import cards_of  # noqa: E402
from services.publisher.store import PublisherStore  # noqa: E402
from shared.documents import PublishedDocument  # noqa: E402
from tests.unit.api.synthetic import synthetic_document  # noqa: E402
from tests.unit.verdicts import factories as f  # noqa: E402

TARGET_SECONDS, TARGET_BYTES = 1.0, 2 * 2**20
CARD, MARK = '<tr class="claim"', '<a class="mark"'  # how a claim card and a plot mark begin


def measure(claims: int, repeat: int) -> PublishedDocument:
    started = time.perf_counter()
    doc = synthetic_document(claims)
    print(f"built a {claims}-claim document in {time.perf_counter() - started:.2f} s (not part of the render)")
    for label, filters in (("unfiltered", Filters()), ("status=inconclusive", Filters(status="inconclusive"))):
        times, html = [], ""
        for _ in range(repeat):
            started = time.perf_counter()
            html = paper_page.paper_detail(doc, filters)
            times.append(time.perf_counter() - started)
        size = len(html.encode())
        best, median = min(times), statistics.median(times)
        print(
            f"{label:>20}: render best {best * 1000:.0f} ms, median {median * 1000:.0f} ms "
            f"({median / TARGET_SECONDS:.2f} of the 1 s target); page {size / 2**20:.2f} MiB "
            f"({size / TARGET_BYTES:.2f} of the 2 MiB target); {html.count(CARD)} cards, "
            f"{html.count(MARK)} plot marks of {len(plot_points(cards_of(doc.claims)))} measured claims"
        )
    return doc


async def card_route(store: PublisherStore, claims: int) -> str:
    """What /ui/papers/{id} does: the paper, every card, the full claims of the rows shown, the render."""
    head = await store.get_paper("2502.02737")
    assert head is not None
    cards = await store.get_cards(head)
    assert len(cards) == claims, "cards lost"
    rows = await store.get_entries(paper_page.rows_on_page(cards, Filters()))
    return paper_page.render(head, cards, rows)


async def document_route(store: PublisherStore, claims: int) -> str:
    """The route before cards: the whole document with every claim, then the render."""
    stored = await store.get_document("2502.02737")
    assert stored is not None and len(stored.claims) == claims, "claims lost"
    return paper_page.paper_detail(stored)


async def measure_with_store(doc: PublishedDocument, repeat: int) -> None:
    """get_document + render, as the route runs them, over the claims stored in a scratch database."""
    client: AsyncIOMotorClient = AsyncIOMotorClient(  # type: ignore[type-arg]
        mongo_url(), serverSelectionTimeoutMS=5000
    )
    name = f"pvbench_page_{len(doc.claims)}_{time.time_ns() % 10**8}"
    try:
        store = PublisherStore(client[name])
        await store.ensure_indexes()
        await store.record_paper(f.ingested())
        await store.claims.insert_many(
            [
                {"_id": e.claim_id, "claim_id": e.claim_id, "arxiv_id": e.claim.arxiv_id, "version": 1}
                | {"claim": e.claim.model_dump(mode="python"), "verdicts": e.verdicts.model_dump(mode="python")}
                for e in doc.claims
            ]
        )
        await store._write_cards("2502.02737", 1, doc.claims)  # what each verdict's projection writes
        await store.rebuild_document("2502.02737")
        for label, route in (("cards + shown rows", card_route), ("whole document", document_route)):
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                html = await route(store, len(doc.claims))
                times.append(time.perf_counter() - started)
            median = statistics.median(times)
            print(
                f"{'FerretDB + render':>20}, {label}: best {min(times) * 1000:.0f} ms, median {median * 1000:.0f} ms "
                f"({median / TARGET_SECONDS:.2f} of the 1 s target); {html.count(CARD)} rows"
            )
    finally:
        await client.drop_database(name)
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--ferretdb", action="store_true", help="also time reading the document from FerretDB")
    args = parser.parse_args()
    doc = measure(args.claims, args.repeat)
    if args.ferretdb:
        asyncio.run(measure_with_store(doc, args.repeat))


if __name__ == "__main__":
    main()
