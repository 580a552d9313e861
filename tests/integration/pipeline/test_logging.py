"""A service's whole output is JSON lines with the same keys, FastStream's and aiokafka's lines
included: a real `faststream run` process against the real Kafka."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shared.admin import ensure_topics
from shared.messages import IngestPaper
from shared.settings import KafkaSettings
from tests.integration.pipeline.kafka_helpers import produce, unique_topic

ROOT = Path(__file__).resolve().parents[3]
KEYS = {"event", "level", "logger", "timestamp"}

pytestmark = pytest.mark.timeout(120)


async def test_every_line_of_a_service_is_json_with_the_same_keys(kafka_bootstrap: str, tmp_path: Path) -> None:
    topic = unique_topic("logtest")
    await ensure_topics(KafkaSettings(bootstrap_servers=kafka_bootstrap), [topic], partitions=1)
    out = tmp_path / "service.log"
    env = {
        **os.environ,
        "PV_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "PV_LOG_FORMAT": "json",
        "PV_LOGTEST_TOPIC": topic,
        "PYTHONUNBUFFERED": "1",
    }
    with out.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "faststream", "run", "tests.integration.pipeline.log_app:app"],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while "started successfully" not in out.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, out.read_text()
            await asyncio.sleep(0.2)
        request = IngestPaper(arxiv_id="2502.02737", requested_by="logtest")
        await produce(kafka_bootstrap, topic, request.model_dump_json().encode(), key=b"2502.02737")
        while "request_handled" not in out.read_text() and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)

    text = out.read_text()
    parsed = []
    for line in text.splitlines():
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON line: {line!r}\n--- whole output ---\n{text}")
    assert all(set(line) >= KEYS for line in parsed), text
    loggers = {line["logger"].split(".")[0] for line in parsed}
    assert {"faststream", "paperverdict"} <= loggers, loggers
    ours = next(line for line in parsed if line["event"] == "request_handled")
    assert (ours["topic"], ours["arxiv_id"], ours["requested_by"]) == (topic, "2502.02737", "logtest")
    access = [line for line in parsed if line["logger"].startswith("faststream.access")]
    per_message = [line for line in access if line["event"] in ("Received", "Processed")]
    assert [line["event"] for line in per_message] == ["Received", "Processed"], access
    assert all(line["topic"] == topic and line["group_id"] == topic for line in per_message)
    assert any("started successfully" in line["event"] for line in parsed)
