"""`make serve` (scripts/serve.py) as a user runs it: every service ready within a minute, `paperverdict
status --json` says so, a bad message shows up in `paperverdict dlq list`, a killed service is
restarted, and SIGTERM stops everything (exit 0, no process left behind).

The test signals only processes it started: serve.py and the processes under it, found by parent id, so
a developer's own `make serve` on the same machine is never touched. The times to ready and to stop are
printed (README.md states them as measurements); the test fails only past READY_S and STOP_S."""

from __future__ import annotations

import contextlib
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
READY_S, STOP_S = 90, 30  # never slower than this (measured: ready in 4-5 s, stopped in about 1 s)


def _descendants(root: int) -> set[int]:
    """The live processes under `root`, children of children included (read from /proc: no procps needed)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])  # "pid (comm) state ppid ..."
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _pids(pattern: str, among: set[int]) -> set[int]:
    """The processes of `among` that are still alive and whose command line matches `pattern`."""
    found = set()
    for pid in among:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if re.search(pattern, cmdline):
            found.add(pid)
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
        line = _wait_for_line(out, "all five services ready", READY_S)
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

        evaluator = _pids("services.evaluator.app:app", _descendants(serve.pid))
        assert evaluator
        for pid in evaluator:
            os.kill(pid, signal.SIGKILL)
        assert _wait_for_line(out, "evaluator restarted", 30), out.read_text()
        assert _wait_for_line(out, "exited with code -9", 1)

        children = _pids(SERVICE_PROCESSES, _descendants(serve.pid))
        assert len(children) >= 7  # five services, the API, the local arXiv server
        serve.send_signal(signal.SIGTERM)
        stop_started = time.monotonic()
        assert serve.wait(timeout=STOP_S + 10) == 0
        assert time.monotonic() - stop_started < STOP_S
        time.sleep(0.5)
        left = _pids(SERVICE_PROCESSES, children)
        assert not left, f"processes left behind: {left}"
        print(
            f"serve: ready after {ready_s:.1f}s, stopped in {time.monotonic() - stop_started:.1f}s; children {len(children)}"
        )
    finally:
        if serve.poll() is None:  # the test failed midway: stop what it started, and only that
            ours = _descendants(serve.pid)
            serve.send_signal(signal.SIGTERM)
            try:
                serve.wait(timeout=STOP_S + 10)
            except subprocess.TimeoutExpired:
                os.killpg(serve.pid, signal.SIGKILL)
            for pid in _pids(SERVICE_PROCESSES, ours):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


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
