"""The pure parts of `paperverdict dlq` and `paperverdict status` (services/ops/)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from services.ops.dlq import ReplayRefused, dlq_topic_of, replay_record, row, select, table
from services.ops.status import cache_counts, in_flight, service_state, status_json, status_text
from shared.deadletters import DeadLetter

LETTER = DeadLetter(
    topic="paperverdict.ingest.requests",
    partition=1,
    offset=7,
    key="2611.00001",
    service="ingestor",
    stage="handle",
    attempts=5,
    error_type="TransientError",
    error="arXiv answered 503",
    original_size=10,
    original_b64=base64.b64encode(b"2611.00001").decode(),
    original_headers={"correlation_id": "c1", "x-dead-letter-error": "old"},
    failed_at=datetime(2026, 12, 4, 12, 0, tzinfo=UTC),
)


def test_topic_names_resolve_to_their_dead_letter_topic() -> None:
    assert dlq_topic_of("ingest.requests") == "paperverdict.ingest.requests.dlq"
    assert dlq_topic_of("paperverdict.ingest.requests") == "paperverdict.ingest.requests.dlq"
    assert dlq_topic_of("paperverdict.ingest.requests.dlq") == "paperverdict.ingest.requests.dlq"
    assert dlq_topic_of("pvtest.x") == "pvtest.x.dlq"


def test_a_row_lists_a_letter_and_an_unreadable_one_says_so() -> None:
    good = row("paperverdict.ingest.requests.dlq", 0, 3, LETTER.model_dump_json().encode())
    bad = row("paperverdict.ingest.requests.dlq", 0, 4, b"{not json")
    assert good.summary()["error"] == "arXiv answered 503" and good.summary()["key"] == "2611.00001"
    assert "not a dead letter" in bad.summary()["problem"]
    text = table([good, bad])
    assert "arXiv answered 503" in text and "not a dead letter" in text


def test_replay_sends_the_original_bytes_headers_and_key_back() -> None:
    r = row("paperverdict.ingest.requests.dlq", 2, 9, LETTER.model_dump_json().encode())
    topic, key, value, headers = replay_record(r)
    assert (topic, key, value) == ("paperverdict.ingest.requests", b"2611.00001", b"2611.00001")
    assert headers == {"correlation_id": "c1", "x-replayed-from": "paperverdict.ingest.requests.dlq/2/9"}


def test_replay_refuses_a_truncated_or_unreadable_letter() -> None:
    cut = LETTER.model_copy(update={"original_truncated": True, "original_size": 900_000})
    with pytest.raises(ReplayRefused, match="cannot be replayed"):
        replay_record(row("t.dlq", 0, 1, cut.model_dump_json().encode()))
    with pytest.raises(ReplayRefused, match="not a dead letter"):
        replay_record(row("t.dlq", 0, 2, b"garbage"))


def test_selection_is_explicit_and_unambiguous() -> None:
    rows = [row("t.dlq", p, o, LETTER.model_dump_json().encode()) for p, o in [(0, 5), (1, 5), (1, 6)]]
    with pytest.raises(ReplayRefused, match="--all"):
        select(rows, offset=None, partition=None, everything=False)
    with pytest.raises(ReplayRefused, match="more than one partition"):
        select(rows, offset=5, partition=None, everything=False)
    assert [(r.partition, r.offset) for r in select(rows, offset=5, partition=1, everything=False)] == [(1, 5)]
    assert len(select(rows, offset=None, partition=None, everything=True)) == 3
    with pytest.raises(ReplayRefused, match="no dead letter"):
        select(rows, offset=99, partition=None, everything=False)


METRICS = """# HELP paperverdict_measurement_cache_total Measurement-cache lookups of the evaluator.
# TYPE paperverdict_measurement_cache_total counter
paperverdict_measurement_cache_total{result="hit"} 3.0
paperverdict_measurement_cache_total{result="miss"} 1.0
"""


def test_status_puts_readiness_lag_dead_letters_papers_and_cache_together() -> None:
    assert cache_counts(METRICS) == (3, 1)
    assert in_flight([("a", 4, 4), ("b", None, 0), ("c", 5, 2)]) == ["b", "c"]
    services = [
        service_state("ingestor", "http://h:8101", 200, {"ready": True, "checks": [{"name": "broker", "ok": True}]}),
        service_state(
            "evaluator",
            "http://h:8103",
            503,
            {"ready": False, "checks": [{"name": "g:t", "ok": False, "detail": "stuck"}]},
        ),
        service_state("publisher", "http://h:8105", None, None, "ConnectError"),
    ]
    status = status_json(
        services, [("paperverdict-evaluator", "paperverdict.claims.extracted", 12)], {"x.dlq": 2}, ["b"], (3, 1)
    )
    assert status["services"][0] == {
        "name": "ingestor",
        "ready": True,
        "metrics_url": "http://h:8101/metrics",
        "detail": "",
        "waiting": [],
    }
    assert [s["ready"] for s in status["services"]] == [True, False, False]
    assert status["services"][1]["detail"] == "g:t: stuck"
    assert status["consumer_groups"] == [
        {"group": "paperverdict-evaluator", "topic": "paperverdict.claims.extracted", "lag": 12}
    ]
    assert status["dlq"] == {"x.dlq": 2} and status["papers_in_flight"] == 1
    assert status["measurement_cache"]["hit_rate"] == 0.75
    text = status_text(status)
    assert "NOT READY" in text and "hit rate 75.0%" in text and "papers in flight: 1  (b)" in text
