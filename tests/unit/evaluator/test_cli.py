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
    assert task_command(TINY, "truthfulqa_mc2", 0, None, DATA) == 2  # an lm-eval task: offline, no local data
    assert "lm-eval task 'truthfulqa_mc2' has no local data" in capsys.readouterr().err
    assert task_command(TINY, "humaneval", 0, None, DATA) == 2  # ours (sandboxed scoring), on the Hub's data
    assert "'humaneval' reads 'openai/openai_humaneval' from the Hugging Face Hub and the Hub is off" in (
        capsys.readouterr().err
    )
    assert task_command("paperverdict-fixtures/absent", "piqa", 0, None, DATA) == 1
    assert "not available" in json.loads(capsys.readouterr().out)["failure"]


def test_task_command_runs_lm_evals_own_task_from_the_data_folder(capsys):
    """`--data DIR`: a `hellaswag/` folder there feeds lm-eval's own hellaswag, the `mmlu/<subject>/`
    folders lm-eval's `mmlu` group (5-shot by default) and SmolLM2's lighteval formulation of MMLU."""
    assert task_command(TINY, "hellaswag", 0, 3, DATA) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["task"], out["examples_used"], out["protocol"]["harness"]) == ("hellaswag", 3, "lm-eval")
    assert out["protocol"]["data_revision"].startswith("local-sha256:") and out["failure"] is None
    assert task_command(TINY, "lighteval_mmlu_mc", None, 4, DATA) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["task"], out["examples_used"], out["metric"]) == ("lighteval_mmlu_mc", 4, "acc_norm")
    assert out["protocol"]["harness"] == "lighteval"  # what the config is, though the command names no harness
    assert task_command(TINY, "mmlu", None, 1, DATA) == 0  # --limit: the first document of each subject
    out = json.loads(capsys.readouterr().out)
    assert (out["task"], out["examples_used"], out["protocol"]["n_shot"], out["metric"]) == ("mmlu", 4, 5, "acc")


# ---------------------------------------------------------------- any lm-eval task (issue 18)

LMEVAL_TASKS = ROOT / "fixtures" / "lmeval_tasks"


def test_task_command_runs_any_lm_eval_task_from_local_configs(tmp_path, capsys):
    import gzip
    import hashlib

    records = tmp_path / "sciq.records.jsonl.gz"
    assert task_command(TINY, "pv_sciq", None, None, None, records, include_path=LMEVAL_TASKS) == 0
    out = capsys.readouterr()
    measurement = json.loads(out.out)
    protocol = measurement["protocol"]
    assert (measurement["task"], protocol["task"], protocol["harness"], protocol["n_shot"]) == (
        "pv_sciq",
        "pv_sciq",
        "lm-eval",
        0,
    )
    assert (measurement["metric"], measurement["examples_used"], measurement["is_slice"]) == ("acc", 4, False)
    assert protocol["task_version"] == "1.0" and protocol["lm_eval_version"] == "0.4.13"
    assert hashlib.sha256(records.read_bytes()).hexdigest() == measurement["records_sha256"]
    samples = [json.loads(line) for line in gzip.decompress(records.read_bytes()).splitlines()]
    assert len(samples) == 4 and sum(s["acc"] for s in samples) / 4 == pytest.approx(measurement["value"])
    assert out.err.strip().endswith(")") and "pv_sciq 0-shot acc:" in out.err


def test_task_command_limits_and_shoots_an_lm_eval_generation_task(capsys):
    assert task_command(TINY, "pv_gsm8k", 1, 2, None, include_path=LMEVAL_TASKS) == 0
    measurement = json.loads(capsys.readouterr().out)
    assert (measurement["metric"], measurement["protocol"]["n_shot"]) == ("exact_match", 1)
    assert (measurement["examples_used"], measurement["is_slice"], measurement["protocol"]["slice_seed"]) == (
        2,
        True,
        None,
    )


def test_task_command_says_why_an_lm_eval_task_cannot_run(tmp_path, capsys):
    assert task_command(TINY, "sciq", None, None, None, include_path=LMEVAL_TASKS) == 2
    assert "has no local data: the Hub is off" in capsys.readouterr().err
    assert task_command(TINY, "pv_sciq", None, None, None, include_path=tmp_path / "absent") == 2
    assert "not a folder" in capsys.readouterr().err
    from services.cli.evaluate import PromptFormat

    assert task_command(TINY, "arc_easy", 0, None, DATA, prompt=PromptFormat(chat_template=True)) == 1
    assert "has no chat template to apply" in capsys.readouterr().err  # lm-eval's arc_easy, the tiny model


def test_eval_task_passes_the_prompt_format_to_the_run():
    from typer.testing import CliRunner

    from services.cli.main import app

    args = ["eval", "task", "--model", TINY, "--task", "pv_sciq", "--include-path", str(LMEVAL_TASKS)]
    args += ["--chat-template", "--no-fewshot-as-multiturn", "--system-prompt", "Be brief."]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1  # the fixture model has no chat template: a failure with the reason
    measurement = json.loads(result.stdout)
    assert "has no chat template" in measurement["failure"]
    protocol = measurement["protocol"]
    assert (protocol["chat_template"], protocol["fewshot_as_multiturn"], protocol["system_prompt"]) == (
        True,
        False,
        "Be brief.",
    )
