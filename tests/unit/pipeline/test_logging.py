"""Every line a service writes is one JSON object with the same keys: our structlog events and the
stdlib lines of FastStream (app and per-message access logs) and aiokafka alike. (A real
`faststream run` process: tests/integration/pipeline/test_logging.py.)"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from shared.bus import make_broker
from shared.logging import configure_logging, get_logger
from shared.settings import KafkaSettings, LogSettings

KEYS = {"event", "level", "logger", "timestamp"}


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    configure_logging(LogSettings(format="json", level="INFO"), stream=buffer)
    yield buffer
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.__class__.__name__ == "_OurHandler":
            root.removeHandler(handler)
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


def lines(buffer: io.StringIO) -> list[dict]:
    text = buffer.getvalue()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]  # fails on any line that is not JSON


def test_structlog_and_stdlib_lines_are_json_with_the_same_keys(output: io.StringIO) -> None:
    structlog.contextvars.bind_contextvars(arxiv_id="2502.02737")
    get_logger("paperverdict.test").info("claim_extracted", claims=3)
    logging.getLogger("aiokafka.consumer.group_coordinator").warning("Heartbeat failed for group %s", "g")
    try:
        raise RuntimeError("broker gone")
    except RuntimeError:
        logging.getLogger("faststream").exception("consumer crashed")
    ours, aiokafka, faststream = lines(output)
    for line in (ours, aiokafka, faststream):
        assert set(line) >= KEYS and line["arxiv_id"] == "2502.02737"
    assert (ours["event"], ours["level"], ours["logger"], ours["claims"]) == (
        "claim_extracted",
        "info",
        "paperverdict.test",
        3,
    )
    assert (aiokafka["event"], aiokafka["level"]) == ("Heartbeat failed for group g", "warning")
    assert aiokafka["logger"] == "aiokafka.consumer.group_coordinator"
    assert faststream["level"] == "error" and "RuntimeError: broker gone" in faststream["exception"]


def test_the_broker_logs_through_a_plain_stdlib_logger(output: io.StringIO) -> None:
    """FastStream's default access logger would add its own text handler on stdout; ours propagates."""
    make_broker(KafkaSettings(bootstrap_servers="localhost:9"), service="logtest")
    assert [
        h
        for name in ("faststream", "faststream.access", "faststream.access.kafka")
        for h in logging.getLogger(name).handlers
    ] == []
    access = logging.getLogger("faststream.access.kafka")
    assert access.handlers == [] and access.propagate
    access.info("Received", extra={"topic": "t", "group_id": "g", "message_id": "m"})
    (line,) = lines(output)
    assert set(line) >= KEYS and (line["event"], line["topic"], line["group_id"]) == ("Received", "t", "g")
