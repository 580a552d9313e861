"""`paperverdict eval loglikelihood` and `paperverdict eval task` on the fixture model."""

from __future__ import annotations

import json

import pytest

from services.cli.evaluate import loglikelihood_command, task_command

from .conftest import DATA, ROOT, TINY


def test_loglikelihood_command_prints_lm_eval_contract(tmp_path, capsys, hflm):
    from lm_eval.api.instance import Instance

    rows = [
        {"id": "a", "context": "Question: what?\nAnswer:", "continuation": " yes"},
        {"id": "b", "context": "The cat ", "continuation": "sat on the mat."},
        {"id": 3, "context": "", "continuation": "Hello"},
    ]
    path = tmp_path / "requests.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert loglikelihood_command(TINY, path) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    theirs = hflm.loglikelihood(
        [Instance("loglikelihood", {}, (r["context"], r["continuation"]), i) for i, r in enumerate(rows)],
        disable_tqdm=True,
    )
    assert [o["id"] for o in out] == ["a", "b", 3]
    for o, (ll, greedy) in zip(out, theirs):
        assert o["ll"] == pytest.approx(ll, abs=1e-4) and o["greedy"] == greedy


def test_task_command_prints_a_measurement(capsys):
    assert task_command(TINY, "mmlu", 5, 3, DATA) == 0
    measurement = json.loads(capsys.readouterr().out)
    assert measurement["task"] == "mmlu" and measurement["protocol"]["n_shot"] == 5
    assert measurement["examples_used"] == 12 and measurement["is_slice"] is True  # 3 per subject, as lm-eval


def test_task_command_writes_records_and_no_machine_path(tmp_path, capsys):
    import gzip
    import hashlib
    import shutil

    from .conftest import TINY_SHA

    folder = tmp_path / "my-model"  # a local model folder, named on the command line
    shutil.copytree(ROOT / "fixtures/hub/models--paperverdict-fixtures--tiny-llama/snapshots" / TINY_SHA, folder)
    out = tmp_path / "records.jsonl.gz"
    assert task_command(str(folder), "arc_easy", 0, 3, DATA, out) == 0
    captured = capsys.readouterr()
    measurement = json.loads(captured.out)
    assert measurement["records_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    records = [json.loads(line) for line in gzip.decompress(out.read_bytes()).splitlines()]
    assert len(records) == measurement["examples_used"] == 3
    assert measurement["model_id"] == "local:my-model"  # not the folder's path
    assert measurement["model_revision"].startswith("local-sha256:")
    assert str(tmp_path) not in captured.out
    plain = tmp_path / "records.jsonl"
    assert task_command(TINY, "arc_easy", 0, 3, DATA, plain) == 0
    assert [json.loads(line) for line in plain.read_text().splitlines()] == records


def test_task_command_shows_an_undefined_stderr_as_na(capsys):
    assert task_command(TINY, "arc_easy", 0, 1, DATA) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["stderr"] is None
    assert "± N/A (1 examples" in captured.err


def test_a_local_folder_is_recorded_without_its_path(tmp_path):
    from services.evaluator.models import public_model_id

    snapshot = tmp_path / "models--org--name-v2" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (tmp_path / "my-model").mkdir()
    assert public_model_id(str(snapshot)) == "org/name-v2"
    assert public_model_id(str(tmp_path / "my-model")) == "local:my-model"
    assert public_model_id("mistralai/Mistral-7B-v0.1") == "mistralai/Mistral-7B-v0.1"  # not a folder here


def test_task_command_reports_unknown_tasks_and_models(capsys):
    assert task_command(TINY, "humaneval", 0, None, DATA) == 2
    assert "unknown task" in capsys.readouterr().err
    assert task_command("paperverdict-fixtures/absent", "piqa", 0, None, DATA) == 1
    assert "not available" in json.loads(capsys.readouterr().out)["failure"]
