"""The CLI finds the running local stack by itself, and a stack that is down costs one line and exit 2.

The commands run as the user runs them (`python -m services.cli.main`, a fresh process), pointed at
loopback ports nothing listens on; no Kafka or MongoDB is needed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from services.cli import stack

ROOT = Path(__file__).resolve().parents[3]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=ROOT,
        env=env,
        check=False,
    )


STACK_COMMANDS = {
    "status": ["status"],
    "status --json": ["status", "--json"],
    "publish": ["publish", "2611.00001"],
    "watch": ["watch", "--timeout", "5"],
    "show": ["show", "2611.00001"],
    "dlq list": ["dlq", "list"],
    "dlq replay": ["dlq", "replay", "paperverdict.ingest.requests", "--all"],
}


@pytest.fixture(scope="module")
def down_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PV_")}
    env["PV_KAFKA_BOOTSTRAP_SERVERS"] = f"127.0.0.1:{closed_port()}"
    env["PV_MONGO_URL"] = f"mongodb://127.0.0.1:{closed_port()}/"
    # the services' health ports too, so that `status` reads nothing that happens to run here
    env["PV_STATUS_SERVICES"] = f"ingestor=http://127.0.0.1:{closed_port()}"
    return env


@pytest.mark.parametrize("name", list(STACK_COMMANDS))
def test_every_command_with_the_stack_down_says_one_line_and_exits_2(name: str, down_env: dict[str, str]) -> None:
    result = run(*STACK_COMMANDS[name], env=down_env)
    assert result.returncode == 2, (name, result.stderr[-2000:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, (name, result.stderr[-2000:])
    line = lines[0]
    assert "Traceback" not in result.stderr
    if name == "show":  # the only one that needs MongoDB alone
        assert line.startswith(f"error: cannot reach MongoDB at {down_env['PV_MONGO_URL']} (from PV_MONGO_URL (set))")
        assert "or set PV_MONGO_URL" in line
    else:
        kafka = down_env["PV_KAFKA_BOOTSTRAP_SERVERS"]
        assert line.startswith(f"error: cannot reach Kafka at {kafka} (from PV_KAFKA_BOOTSTRAP_SERVERS (set))")
        assert "or set PV_KAFKA_BOOTSTRAP_SERVERS" in line
    assert "`make serve`" in line
    assert result.stdout == ""


def test_the_env_file_of_a_running_stack_fills_the_unset_variables(tmp_path: Path) -> None:
    with socket.socket() as kafka:
        kafka.bind(("127.0.0.1", 0))
        kafka.listen()
        port = kafka.getsockname()[1]
        (tmp_path / ".run").mkdir()
        (tmp_path / ".run" / "services.env").write_text(
            f"PV_KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:{port}\nPV_MONGO_URL=mongodb://127.0.0.1:27999/\nOTHER=x\n"
        )
        (tmp_path / "sub").mkdir()
        env: dict[str, str] = {}
        stack.use_local_stack(env, cwd=tmp_path / "sub")  # found in a folder above the working directory
        assert env == {"PV_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{port}", "PV_MONGO_URL": "mongodb://127.0.0.1:27999/"}
        assert stack.origins["PV_MONGO_URL"] == str(tmp_path / ".run" / "services.env")

        mine = {"PV_KAFKA_BOOTSTRAP_SERVERS": "kafka.example:9092"}
        stack.use_local_stack(mine, cwd=tmp_path)  # a variable that is set wins; only the other is filled
        assert mine == {
            "PV_KAFKA_BOOTSTRAP_SERVERS": "kafka.example:9092",
            "PV_MONGO_URL": "mongodb://127.0.0.1:27999/",
        }
        assert stack.origins["PV_KAFKA_BOOTSTRAP_SERVERS"] == "PV_KAFKA_BOOTSTRAP_SERVERS (set)"


def test_the_env_file_of_a_stopped_stack_is_not_used_and_the_error_says_so(tmp_path: Path) -> None:
    (tmp_path / ".run").mkdir()
    (tmp_path / ".run" / "services.env").write_text(f"PV_KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:{closed_port()}\n")
    env: dict[str, str] = {}
    stack.use_local_stack(env, cwd=tmp_path)
    if env:  # this checkout's own stack runs (make test): it is the one used, not the stopped one
        assert stack.origins["PV_KAFKA_BOOTSTRAP_SERVERS"] == str(stack.CHECKOUT / stack.ENV_FILE)
    else:
        assert "names one that is not running" in stack.origins["PV_KAFKA_BOOTSTRAP_SERVERS"]


def test_the_cli_uses_the_running_local_stack_without_any_variable(tmp_path: Path) -> None:
    """`paperverdict dlq list` from another folder, no PV_ variable, against a fake running stack:
    it reaches the stack named by the checkout's .run/services.env (or tells which it tried)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PV_")}
    result = run("dlq", "list", "--json", env=env)
    env_file = stack.CHECKOUT / stack.ENV_FILE
    kafka = stack.read_env_file(env_file).get("PV_KAFKA_BOOTSTRAP_SERVERS") if env_file.is_file() else None
    if kafka and stack.answers(kafka):
        assert result.returncode == 0, result.stderr[-2000:]
    else:
        assert result.returncode == 2
        assert "no running local stack found" in result.stderr
