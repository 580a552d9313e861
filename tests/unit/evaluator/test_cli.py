"""`paperverdict eval loglikelihood` and `paperverdict eval task` on the fixture model."""

from __future__ import annotations

import json

import pytest

from services.cli.evaluate import loglikelihood_command, task_command

from .conftest import DATA, TINY


def test_loglikelihood_command_prints_lm_eval_contract(tmp_path, capsys, hflm):
    from lm_eval.api.instance import Instance

    rows = [{"id": "a", "context": "Question: what?\nAnswer:", "continuation": " yes"},
            {"id": "b", "context": "The cat ", "continuation": "sat on the mat."},
            {"id": 3, "context": "", "continuation": "Hello"}]
    path = tmp_path / "requests.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert loglikelihood_command(TINY, path) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    theirs = hflm.loglikelihood([Instance("loglikelihood", {}, (r["context"], r["continuation"]), i)
                                 for i, r in enumerate(rows)], disable_tqdm=True)
    assert [o["id"] for o in out] == ["a", "b", 3]
    for o, (ll, greedy) in zip(out, theirs):
        assert o["ll"] == pytest.approx(ll, abs=1e-4) and o["greedy"] == greedy


def test_task_command_prints_a_measurement(capsys):
    assert task_command(TINY, "mmlu", 5, 3, DATA) == 0
    measurement = json.loads(capsys.readouterr().out)
    assert measurement["task"] == "mmlu" and measurement["protocol"]["n_shot"] == 5
    assert measurement["examples_used"] == 12 and measurement["is_slice"] is True  # 3 per subject, as lm-eval


def test_task_command_reports_unknown_tasks_and_models(capsys):
    assert task_command(TINY, "humaneval", 0, None, DATA) == 2
    assert "unknown task" in capsys.readouterr().err
    assert task_command("paperverdict-fixtures/absent", "piqa", 0, None, DATA) == 1
    assert "not available" in json.loads(capsys.readouterr().out)["failure"]
