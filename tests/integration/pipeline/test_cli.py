"""`paperverdict publish`, `watch` and `show` against the real Kafka and FerretDB."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from services.publisher.store import PublisherStore
from shared import topics
from shared.messages import IngestPaper, PaperIngested, VerdictPublished
from tests.integration.pipeline.kafka_helpers import produce, read_records
from tests.unit.pipeline.test_message_pins import PAPER, VERDICT, VERSION

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.timeout(120)


def _cli(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


async def test_publish_sends_a_keyed_ingest_request(services_env: dict[str, str], kafka_bootstrap: str) -> None:
    result = _cli("publish", "hep-th/9901001v2", env=services_env)
    assert result.returncode == 0, result.stderr
    correlation_id = json.loads(result.stdout.splitlines()[0])["correlation_id"]
    records = await read_records(kafka_bootstrap, topics.INGEST_REQUESTS, count=10**6, timeout_s=8)
    mine = [r for r in records if dict(r.headers or []).get("correlation_id") == correlation_id.encode()]
    assert len(mine) == 1 and mine[0].key == b"hep-th/9901001"
    assert IngestPaper.model_validate_json(mine[0].value).arxiv_id == "hep-th/9901001v2"
    assert dict(mine[0].headers)["schema_version"] == b"1"


async def test_watch_prints_each_verdict_once_as_json_lines(services_env: dict[str, str], kafka_bootstrap: str) -> None:
    arxiv_id = f"2611.{uuid.uuid4().int % 90000 + 10000:05d}"
    event = VerdictPublished(arxiv_id=arxiv_id, paper_version=1, claim_id="c1", verdict=VERDICT)
    for _ in range(2):  # at-least-once: the same verdict twice
        await produce(
            kafka_bootstrap, topics.VERDICTS_PUBLISHED, event.model_dump_json().encode(), key=arxiv_id.encode()
        )
    other = event.model_copy(update={"arxiv_id": "2611.00000"})
    await produce(kafka_bootstrap, topics.VERDICTS_PUBLISHED, other.model_dump_json().encode())
    result = _cli("watch", "--from-beginning", "--arxiv", arxiv_id, "--timeout", "12", env=services_env, timeout=60)
    lines = [VerdictPublished.model_validate_json(line) for line in result.stdout.splitlines() if line.strip()]
    assert [(e.arxiv_id, e.verdict.id) for e in lines] == [(arxiv_id, VERDICT.id)]
    assert result.returncode == 1  # ended by --timeout


async def test_show_prints_the_published_document(services_env: dict[str, str], mongo_db, mongo_db_name: str) -> None:
    await PublisherStore(mongo_db).record_paper(
        PaperIngested(paper=PAPER, version=VERSION, artifacts=[], source_format="none")
    )
    env = {**services_env, "PV_MONGO_DATABASE": mongo_db_name}
    shown = _cli("show", PAPER.arxiv_id, env=env)
    assert shown.returncode == 0, shown.stderr
    assert '"arxiv_id": "2611.00001"' in shown.stdout and '"latest_version"' in shown.stdout
    missing = _cli("show", "2611.09998", env=env)
    assert missing.returncode == 1 and "no published document for 2611.09998" in missing.stderr
