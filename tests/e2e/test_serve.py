"""`make serve` (scripts/serve.py) as a user runs it: every service ready within a minute, `paperverdict
status --json` says so, a bad message shows up in `paperverdict dlq list`, a killed service is
restarted, and SIGTERM stops everything (exit 0, no process left behind)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from shared import topics
from tests.e2e.conftest import ROOT

pytestmark = [pytest.mark.timeout(300)]
CLI = [sys.executable, "-m", "services.cli.main"]
SERVICE_PROCESSES = (
    "services.(ingestor|extractor|evaluator|validator|publisher).app:app|-m services.api|arxiv_server.py"
)


def _pids(pattern: str) -> set[int]:
    """Processes whose command line matches `pattern` (read from /proc: no procps needed)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if re.search(pattern, cmdline):
            found.add(int(entry.name))
    return found


def _wait_for_line(path: Path, text: str, timeout_s: float) -> str | None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for line in path.read_text(errors="replace").splitlines():
            if text in line:
                return line
        time.sleep(0.5)
    return None


def test_serve_runs_until_sigterm_and_operators_can_see_and_repair_it(
    services_env: dict[str, str], tmp_path: Path
) -> None:
    from tests.e2e.conftest import load_run_demo

    database = f"pvtest_serve_{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        **services_env,
        "PV_MONGO_DATABASE": database,
        "PV_API_PORT": str(load_run_demo().free_port()),
    }
    out = tmp_path / "serve.out"
    with out.open("wb") as sink:
        serve = subprocess.Popen(
            [sys.executable, "scripts/serve.py", "--arxiv", "local", "--skip-install", "--database", database],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started = time.monotonic()
    try:
        line = _wait_for_line(out, "all five services ready", 90)
        assert line, out.read_text()
        ready_s = time.monotonic() - started
        status = subprocess.run(
            [*CLI, "status", "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert status.returncode == 0, status.stdout + status.stderr
        body = json.loads(status.stdout)
        assert [s["name"] for s in body["services"] if s["ready"]] == [
            "ingestor",
            "extractor",
            "evaluator",
            "validator",
            "publisher",
        ]
        assert {g["group"] for g in body["consumer_groups"]} >= {"paperverdict-evaluator", "paperverdict-ingestor"}
        assert set(body["dlq"]) == {topics.dead_letter(t) for t in topics.ALL}

        bad = f"not-an-id-{uuid.uuid4().hex[:8]}"
        subprocess.run(
            [sys.executable, "-c", _PRODUCE, bad], cwd=ROOT, env=env, check=True, timeout=60, capture_output=True
        )
        deadline, rows = time.monotonic() + 60, []
        while time.monotonic() < deadline and not rows:
            listed = subprocess.run(
                [*CLI, "dlq", "list", "ingest.requests", "--json"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            rows = [json.loads(x) for x in listed.stdout.splitlines() if bad in x]
            time.sleep(1)
        assert rows and rows[0]["stage"] == "decode" and "malformed" in rows[0]["error"]

        evaluator = _pids("services.evaluator.app:app")
        assert evaluator
        for pid in evaluator:
            os.kill(pid, signal.SIGKILL)
        assert _wait_for_line(out, "evaluator restarted", 30), out.read_text()
        assert _wait_for_line(out, "exited with code -9", 1)

        children = _pids(SERVICE_PROCESSES)
        assert len(children) >= 7  # five services, the API, the local arXiv server
        serve.send_signal(signal.SIGTERM)
        stop_started = time.monotonic()
        assert serve.wait(timeout=40) == 0
        assert time.monotonic() - stop_started < 30
        time.sleep(0.5)
        left = _pids(SERVICE_PROCESSES) & children
        assert not left, f"processes left behind: {left}"
        print(
            f"serve: ready after {ready_s:.1f}s, stopped in {time.monotonic() - stop_started:.1f}s; children {len(children)}"
        )
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)


_PRODUCE = """
import asyncio, os, sys
from aiokafka import AIOKafkaProducer
from shared import topics
async def main():
    p = AIOKafkaProducer(bootstrap_servers=os.environ["PV_KAFKA_BOOTSTRAP_SERVERS"])
    await p.start()
    try:
        await p.send_and_wait(topics.INGEST_REQUESTS, sys.argv[1].encode(), key=b"bad")
    finally:
        await p.stop()
asyncio.run(main())
"""
