"""`paperverdict models refresh`: the pure comparison of the checkpoint index with the Hub's answers
(services/extractor/index_refresh.py), and the command against deploy/local/hub_server.py."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli.main import app
from services.extractor.checkpoints import CHECKPOINTS_FILE
from services.extractor.hub import HubModel
from services.extractor.index_refresh import Change, diff, index_repos, rewrite, significant
from tests.servers import HubServer


def entry(repo: str | None, params_b: float | None, **extra: object) -> str:
    fields: dict[str, object] = {"repo": repo, "family": "qwen", "version": "2.5", "size": "7b", "params_b": params_b}
    fields |= {"variant": "base", "qualifier": None, "released": "2024-09", "arxiv": ["2412.15115"], **extra}
    return json.dumps(fields, ensure_ascii=False)


def hub_model(repo: str, params_b: float | None, **kw: object) -> HubModel:
    fields: dict[str, object] = {"sha": "a" * 40, "causal_lm": True, "safetensors": True, "gated": False, "tags": ()}
    fields.update(kw)
    return HubModel(repo=repo, params_b=params_b, **fields)  # type: ignore[arg-type]


LINES = [
    entry(None, 6.74, family="llama", why="no official repo"),
    entry("Qwen/Qwen2.5-7B", 7.62),
    entry("gone/model-7b", 7.0),
    entry("Qwen/Qwen2.5-32B", 32.0, aliases=["Qwen2.5 32B Base — ü"]),
    entry("google-bert/bert-base-uncased", 0.11),
    entry("facebook/galactica-6.7b", 6.7),
    entry("meta-llama/Llama-2-7b-hf", 6.74),
    entry("Old/Name", None),
    entry("Qwen/Qwen-7B", 7.72, version=None),
]
HUB: dict[str, HubModel | None] = {
    "Qwen/Qwen2.5-7B": hub_model("Qwen/Qwen2.5-7B", 7.615616512),  # rounds to the indexed 7.62: no change
    "gone/model-7b": None,
    "Qwen/Qwen2.5-32B": hub_model("Qwen/Qwen2.5-32B", 32.763876352),
    "google-bert/bert-base-uncased": hub_model("google-bert/bert-base-uncased", 0.110106428, causal_lm=False),
    "facebook/galactica-6.7b": hub_model("facebook/galactica-6.7b", None, safetensors=False),
    "meta-llama/Llama-2-7b-hf": hub_model("meta-llama/Llama-2-7b-hf", 6.738415616, gated=True),
    "Old/Name": hub_model("New/Name", 1.234567),
    "Qwen/Qwen-7B": hub_model("Qwen/Qwen-7B", 7.721324544, remote_code="config.json names remote code"),
}


def test_index_repos_skips_null_repos_and_keeps_file_order() -> None:
    assert index_repos([*LINES, entry("Qwen/Qwen2.5-7B", 7.62), ""]) == [
        "Qwen/Qwen2.5-7B",
        "gone/model-7b",
        "Qwen/Qwen2.5-32B",
        "google-bert/bert-base-uncased",
        "facebook/galactica-6.7b",
        "meta-llama/Llama-2-7b-hf",
        "Old/Name",
        "Qwen/Qwen-7B",
    ]


def test_diff_reports_each_kind_of_finding() -> None:
    found = {(c.repo, c.kind) for c in diff(LINES, HUB)}
    assert found == {
        ("gone/model-7b", "missing"),
        ("Qwen/Qwen2.5-32B", "params"),
        ("google-bert/bert-base-uncased", "not-causal-lm"),
        ("facebook/galactica-6.7b", "no-safetensors"),
        ("meta-llama/Llama-2-7b-hf", "gated"),
        ("Old/Name", "renamed"),
        ("Old/Name", "params"),
        ("Qwen/Qwen-7B", "remote-code"),
    }
    params = {c.repo: c for c in diff(LINES, HUB) if c.kind == "params"}
    assert params["Qwen/Qwen2.5-32B"].params_b == 32.8
    assert params["Qwen/Qwen2.5-32B"].detail.startswith("params_b 32B -> 32.8B")
    assert params["Old/Name"].params_b == 1.23 and "params_b none -> 1.23B" in params["Old/Name"].detail


def test_repos_not_asked_are_not_compared() -> None:
    assert diff(LINES, {"Qwen/Qwen2.5-32B": HUB["Qwen/Qwen2.5-32B"]}) == [
        Change("Qwen/Qwen2.5-32B", "params", "params_b 32B -> 32.8B (written with --write)", 32.8)
    ]


def test_rewrite_updates_params_drops_missing_and_leaves_every_other_line_byte_for_byte() -> None:
    out = rewrite(LINES, diff(LINES, HUB))
    assert len(out) == len(LINES) - 1
    assert not any("gone/model-7b" in line for line in out)
    expected = [line for line in LINES if "gone/model-7b" not in line]
    changed = [(a, b) for a, b in zip(expected, out) if a != b]
    assert [json.loads(b)["repo"] for _, b in changed] == ["Qwen/Qwen2.5-32B", "Old/Name"]
    qwen = json.loads(changed[0][1])
    assert qwen == {**json.loads(changed[0][0]), "params_b": 32.8}
    assert list(qwen) == list(json.loads(changed[0][0]))  # key order kept
    assert "— ü" in changed[0][1]  # not \\u-escaped, as the index is written


def test_significant_keeps_three_digits_as_the_index_does() -> None:
    assert [significant(v) for v in (6.738415616, 0.134515008, 32.763876352, 141.1, 7.298617344)] == [
        6.74,
        0.135,
        32.8,
        141.0,
        7.3,
    ]


def test_the_bundled_index_round_trips_unchanged() -> None:
    lines = CHECKPOINTS_FILE.read_text(encoding="utf-8").splitlines()
    assert rewrite(lines, []) == lines


# ---------------------------------------------------------------- the command, against the local Hub

runner = CliRunner()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # the CLI's callback would otherwise look for a running local stack; this command needs none
    monkeypatch.setenv("PV_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9")
    monkeypatch.setenv("PV_MONGO_URL", "mongodb://127.0.0.1:9/")
    monkeypatch.delenv("PV_HUB_TOKEN", raising=False)


@pytest.fixture
def index(tmp_path: Path) -> Path:
    path = tmp_path / "checkpoints.jsonl"
    lines = [
        entry(None, 6.74, why="no official repo"),
        entry("Qwen/Qwen2.5-7B", 7.62),
        entry("Qwen/Qwen2.5-32B", 32.0),
        entry("nobody/removed-7b", 7.0),
        entry("google-bert/bert-base-uncased", 0.11),
        entry("facebook/galactica-6.7b", 6.7),
        entry("meta-llama/Llama-2-7b-hf", 6.74),
        entry("Qwen/Qwen-7B", 7.72, version=None),
    ]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.mark.usefixtures("cli_env")
def test_refresh_prints_the_findings_and_leaves_the_file_without_write(hub_server: HubServer, index: Path) -> None:
    before = index.read_bytes()
    result = runner.invoke(app, ["models", "refresh", "--endpoint", hub_server.endpoint, "--index", str(index)])
    assert result.exit_code == 0, result.output
    assert f"7 repos checked against {hub_server.endpoint}, 6 findings" in result.output
    rows = {tuple(line.split()[:2]) for line in result.output.splitlines()[1:]}
    assert rows == {
        ("params", "Qwen/Qwen2.5-32B"),
        ("missing", "nobody/removed-7b"),
        ("not-causal-lm", "google-bert/bert-base-uncased"),
        ("no-safetensors", "facebook/galactica-6.7b"),
        ("gated", "meta-llama/Llama-2-7b-hf"),
        ("remote-code", "Qwen/Qwen-7B"),
    }
    assert "params_b 32B -> 32.8B" in result.output
    assert index.read_bytes() == before


@pytest.mark.usefixtures("cli_env")
def test_refresh_write_rewrites_the_index(hub_server: HubServer, index: Path) -> None:
    before = index.read_text(encoding="utf-8").splitlines()
    args = ["models", "refresh", "--endpoint", hub_server.endpoint, "--index", str(index), "--write"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "1 entries dropped, 1 updated" in result.output
    after = index.read_text(encoding="utf-8")
    assert after.endswith("\n")
    lines = after.splitlines()
    assert [json.loads(line)["repo"] for line in lines] == [
        None,
        "Qwen/Qwen2.5-7B",
        "Qwen/Qwen2.5-32B",
        "google-bert/bert-base-uncased",
        "facebook/galactica-6.7b",
        "meta-llama/Llama-2-7b-hf",
        "Qwen/Qwen-7B",  # reported, kept: the checkpoint exists; its claims end refused with the reason
    ]
    assert json.loads(lines[2])["params_b"] == 32.8
    untouched = [line for line in before if "removed" not in line and "Qwen2.5-32B" not in line]
    assert [line for line in lines if "Qwen2.5-32B" not in line] == untouched
    again = runner.invoke(app, args)  # nothing left to write but the findings the index cannot record
    assert again.exit_code == 0 and "0 entries dropped, 0 updated" in again.output


@pytest.mark.usefixtures("cli_env")
def test_write_refuses_to_drop_most_of_the_index_without_force(hub_server: HubServer, tmp_path: Path) -> None:
    index = tmp_path / "checkpoints.jsonl"
    lines = [entry("Qwen/Qwen2.5-7B", 7.62), entry("private/one-7b", 7.0), entry("private/two-7b", 7.0)]
    index.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    args = ["models", "refresh", "--endpoint", hub_server.endpoint, "--index", str(index), "--write"]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 1 and "2 of 3 repos are missing" in refused.output
    assert index.read_text(encoding="utf-8").splitlines() == lines
    forced = runner.invoke(app, [*args, "--force"])
    assert forced.exit_code == 0 and index.read_text(encoding="utf-8").splitlines() == lines[:1]


@pytest.mark.usefixtures("cli_env")
def test_refresh_with_the_hub_down_is_one_line_and_exit_2(hub_server: HubServer, index: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    before = index.read_bytes()
    result = runner.invoke(app, ["models", "refresh", "--endpoint", closed, "--index", str(index), "--write"])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: the Hugging Face Hub at {closed} could not be reached")
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    hub_server.faults.set(1000, 503, retry_after="120")
    result = runner.invoke(app, ["models", "refresh", "--endpoint", hub_server.endpoint, "--index", str(index)])
    assert result.exit_code == 2 and "HTTP 503" in result.output and "retry in 120s" in result.output
    assert index.read_bytes() == before
