"""arXiv goes down for two minutes while five papers are published (issue 19). The ingestor waits the
outage out (partition paused, exponential backoff with jitter), stays ready, `paperverdict status` says
it is waiting for arXiv, and once the local arXiv server is back every paper gets every verdict with no
dead letter. The figures are written to test-artifacts/outage.json.

PV_TEST_OUTAGE_S shortens (or lengthens) the outage; 120 s by default."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from services.ops.kafka import read_topic
from shared import topics
from tests.e2e.conftest import ROOT, load_run_demo

PAPERS = ("2611.00101", "2611.00102", "2611.00103", "2611.00104", "2611.00106")
OUTAGE_S = float(os.environ.get("PV_TEST_OUTAGE_S", "120"))
ARTIFACTS = ROOT / "test-artifacts"
pytestmark = [pytest.mark.timeout(1200)]


@pytest.fixture(scope="module")
def pipeline(services_env: dict[str, str]):
    pipe = load_run_demo().Pipeline(
        services_env,
        with_api=False,
        extra_env={
            # the client gives up after one retry, then the consumer waits; at most 10 s between tries, so
            # the test sees the restart soon (the defaults: 4 retries, 1 s doubling to 300 s, for 6 hours)
            "PV_ARXIV_MAX_RETRIES": "1",
            "PV_KAFKA_OUTAGE_BACKOFF_S": "1",
            "PV_KAFKA_OUTAGE_MAX_BACKOFF_S": "10",
        },
    )
    pipe.start()
    yield pipe
    pipe.stop()


def _status(pipeline, services_env: dict[str, str]) -> dict:
    env = {
        **os.environ,
        **services_env,
        "PV_MONGO_DATABASE": pipeline.database,
        "PV_STATUS_SERVICES": f"ingestor={pipeline.health_url('ingestor')}",
    }
    done = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "status", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:] + done.stdout[-2000:]
    return json.loads(done.stdout)


async def _our_dead_letters(bootstrap: str, correlation_ids: set[str]) -> list[dict]:
    """Dead letters of this run's messages (the topics are shared with earlier runs, whose leftovers
    for the same papers a fresh publisher may dead-letter: their artifacts are in another database)."""
    found = []
    for topic in topics.ALL:
        for record in await read_topic(bootstrap, topics.dead_letter(topic)):
            headers = {k: v.decode("utf-8", errors="replace") for k, v in record.headers}
            if headers.get("correlation_id") in correlation_ids:
                found.append(json.loads(record.value))
    return found


async def test_an_arxiv_outage_is_waited_out_without_dead_letters(
    pipeline, services_env: dict[str, str], kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.cli.main import _publish
    from shared.messages import IngestPaper

    started = time.monotonic()
    requests = [IngestPaper(arxiv_id=paper, requested_by="test_outage") for paper in PAPERS]
    ours = {r.correlation_id for r in requests}
    deadline = time.monotonic() + 60
    while not pipeline.ready("ingestor") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert pipeline.ready("ingestor"), pipeline.log_tail("ingestor")

    pipeline.kill("arxiv_server")
    for name, value in pipeline.env.items():  # for _publish; monkeypatch restores them after the test
        if name.startswith("PV_"):
            monkeypatch.setenv(name, value)
    await _publish(requests)
    time.sleep(OUTAGE_S)
    # the outage so far: nothing ingested, nothing dead-lettered, the ingestor ready and saying why it waits
    assert pipeline.ready("ingestor"), pipeline.log_tail("ingestor")
    status = _status(pipeline, services_env)
    [ingestor] = status["services"]
    assert ingestor["ready"], ingestor
    assert ingestor["waiting"] and ingestor["waiting"][0].startswith("waiting for arXiv since "), ingestor
    assert await _our_dead_letters(kafka_bootstrap, ours) == []
    waits = pipeline.log_tail("ingestor", 100_000).count('"upstream_unavailable_waiting"')
    assert waits >= len(PAPERS)

    pipeline.restart("arxiv_server")
    back = time.monotonic()
    documents = {}
    for paper in PAPERS:
        document = await pipeline.wait_for_verdicts(paper, 600)
        assert document is not None, f"{paper} did not finish:\n" + pipeline.log_tail("ingestor", 40)
        assert document.extraction_outcome == "claims" and document.expected_claims
        # every claim's POST verdict (a PRE one exists only for a claim the evaluator planned to run)
        assert len(document.claims) == document.expected_claims
        assert all(entry.verdicts.post is not None for entry in document.claims)
        documents[paper] = document
    finished = time.monotonic()
    dead = await _our_dead_letters(kafka_bootstrap, ours)
    assert dead == [], dead[:3]
    figures = {
        "papers": len(PAPERS),
        "outage_s": OUTAGE_S,
        "claims": {p: d.expected_claims for p, d in documents.items()},
        "post_verdicts": sum(1 for d in documents.values() for e in d.claims if e.verdicts.post is not None),
        "pre_verdicts": sum(1 for d in documents.values() for e in d.claims if e.verdicts.pre is not None),
        "dead_letters": len(dead),
        "ingestor_waits_logged": pipeline.log_tail("ingestor", 100_000).count('"upstream_unavailable_waiting"'),
        "seconds_from_restart_to_all_verdicts": round(finished - back, 1),
        "wall_s": round(finished - started, 1),
        "ingestor_status_during_outage": ingestor["waiting"],
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "outage.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))
