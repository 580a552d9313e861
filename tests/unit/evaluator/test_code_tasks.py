"""HumanEval and MBPP through lm-eval with our sandboxed scoring (`services/evaluator/lmeval_tasks/`):
the task configs are lm-eval's but for the scoring functions; scoring never goes through HF
`evaluate`'s in-process `code_eval`; hand-checked completions score as they must (the reference
solution passes, a wrong one fails, a hostile one fails); and on the fixture model our backend and
lm-eval's HFLM get the same prompts and give the same generations and scores."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lm_eval.api.model import LM
from lm_eval.tasks._yaml_loader import load_yaml

from services.evaluator import sandbox
from services.evaluator.lm_backend import PaperverdictLM
from services.evaluator.lm_eval_runs import LM_EVAL_TASKS, LmEvalRun, LmEvalTaskError, run_lm_eval_task
from services.evaluator.lmeval_tasks import code_tasks

from .conftest import ROOT

FIXTURE_TASKS = ROOT / "fixtures" / "lmeval_tasks"
OURS = ROOT / "services" / "evaluator" / "lmeval_tasks"
DATA = FIXTURE_TASKS / "data"
# what a config may change from lm-eval's: its name, its functions (same names), unsafe_code
OWN_KEYS = {"task", "unsafe_code"}
sandboxed = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None, reason="the sandbox needs root and util-linux unshare"
)


def docs(task: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (DATA / task / "test.jsonl").read_text().splitlines()]


def without_functions(value: Any) -> Any:
    """A config with each `!function` path (unresolved: '<yaml folder>/module.name') cut to its name."""
    if isinstance(value, dict):
        return {key: without_functions(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_functions(item) for item in value]
    if isinstance(value, str) and value.startswith("/") and "/" in value and "." in value.rsplit("/", 1)[1]:
        return "!function " + value.rsplit(".", 1)[1]
    return value


@pytest.mark.parametrize(
    ("folder", "task"),
    [("humaneval", "humaneval"), ("humaneval", "humaneval_plus"), ("mbpp", "mbpp"), ("mbpp", "mbpp_plus")],
)
def test_configs_are_lm_evals_but_for_the_scoring_functions(folder: str, task: str) -> None:
    theirs = without_functions(load_yaml(LM_EVAL_TASKS / folder / f"{task}.yaml", resolve_func=False))
    ours = without_functions(load_yaml(OURS / f"{task}.yaml", resolve_func=False))
    assert theirs["unsafe_code"] is True and ours["unsafe_code"] is False
    assert {key: value for key, value in ours.items() if key not in OWN_KEYS} == {
        key: value for key, value in theirs.items() if key not in OWN_KEYS
    }


def test_mbpp_few_shot_documents_are_lm_evals_three() -> None:
    samples = code_tasks.list_fewshot_samples()
    assert [sample["task_id"] for sample in samples] == [2, 3, 4]
    assert all(sample["is_fewshot"] and len(sample["test_list"]) == 3 for sample in samples)
    assert samples[0]["code"].startswith("def similar_elements(test_tup1, test_tup2):")


def test_pass_at_k_estimator_and_program_assembly() -> None:
    assert code_tasks.estimate_pass_at_k(1, 1, 1) == 1.0 and code_tasks.estimate_pass_at_k(1, 0, 1) == 0.0
    assert code_tasks.estimate_pass_at_k(4, 1, 1) == pytest.approx(0.25)
    assert code_tasks.estimate_pass_at_k(4, 1, 2) == pytest.approx(0.5)
    assert code_tasks.assemble_program("def f():\n    return 1", "assert f() == 1") == (
        "def f():\n    return 1\nassert f() == 1"
    )
    assert code_tasks.build_predictions([["    return 1\n"]], [{"prompt": "def f():\n"}]) == [
        ["def f():\n    return 1\n"]
    ]


class ScriptedLM(LM):  # type: ignore[misc]
    """Answers each generation request with a completion chosen from its document."""

    def __init__(self, answer: Callable[[dict[str, Any]], str]) -> None:
        super().__init__()
        self.answer = answer

    def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
        return [self.answer(request.doc) for request in requests]

    def loglikelihood(self, requests: list[Any], disable_tqdm: bool = False) -> list[Any]:
        raise NotImplementedError

    def loglikelihood_rolling(self, requests: list[Any], disable_tqdm: bool = False) -> list[Any]:
        raise NotImplementedError


FORK_BOMB = (
    "    import os\n    while True:\n        try:\n            os.fork()\n        except OSError:\n            pass\n"
)
READS_PASSWD = "\nassert 'root:' in open('/etc/passwd').read()\n"  # passes only where the real file is readable
CONNECTS = "\nimport socket\nsocket.create_connection(('1.1.1.1', 53), timeout=2)\n"


def humaneval_completion(doc: dict[str, Any]) -> str:
    """HumanEval/0: the reference solution; HumanEval/2: wrong; HumanEval/4: a fork bomb."""
    return {
        "HumanEval/0": str(doc["canonical_solution"]),
        "HumanEval/2": "    return 0.0\n",
        "HumanEval/4": FORK_BOMB,
    }[doc["task_id"]]


def humaneval_hostile_but_correct(doc: dict[str, Any]) -> str:
    return str(doc["canonical_solution"]) + READS_PASSWD


def mbpp_completion(doc: dict[str, Any]) -> str:
    """Task 11: the reference code; 12: wrong; 13: the reference code that also opens a connection."""
    code = str(doc["code"])
    return {11: code, 12: "def sort_matrix(M):\n    return M\n", 13: code + CONNECTS}[doc["task_id"]]


@pytest.fixture
def scoring(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fast sandbox limits, HF_ALLOW_CODE_EVAL unset, and the programs the sandbox ran."""
    monkeypatch.setenv("PV_SANDBOX_CPU_S", "1")
    monkeypatch.setenv("PV_SANDBOX_WALL_S", "3")
    monkeypatch.delenv("HF_ALLOW_CODE_EVAL", raising=False)
    assert sandbox.unavailable_reason() is None  # probed (and cached) before the spy counts programs
    programs: list[str] = []
    real = sandbox.run_python

    def spy(source: str, limits: sandbox.Limits | None = None) -> sandbox.Outcome:
        programs.append(source)
        return real(source, limits)

    monkeypatch.setattr(sandbox, "run_python", spy)
    return programs


def run(model: LM, task: str) -> LmEvalRun:
    return run_lm_eval_task(model, task, include_path=FIXTURE_TASKS, include_defaults=False, bootstrap_iters=0)


def scores(result: LmEvalRun, task: str, metric: str) -> dict[Any, float]:
    return {sample["doc"]["task_id"]: sample[metric] for sample in result.samples[task]}


@sandboxed
def test_humaneval_scores_reference_wrong_and_hostile_completions(scoring: list[str]) -> None:
    result = run(ScriptedLM(humaneval_completion), "pv_humaneval")
    assert scores(result, "pv_humaneval", "pass@1") == {"HumanEval/0": 1.0, "HumanEval/2": 0.0, "HumanEval/4": 0.0}
    assert result.metrics == {"pass@1,create_test": pytest.approx(1 / 3)}
    assert len(scoring) == 3 and all("check(" in program for program in scoring)  # every one sandboxed
    assert "HF_ALLOW_CODE_EVAL" not in os.environ
    assert not [name for name in sys.modules if "code_eval" in name]  # HF evaluate's metric never loaded


@sandboxed
def test_a_correct_solution_that_reads_the_account_file_fails(scoring: list[str]) -> None:
    assert "root:" in Path("/etc/passwd").read_text()  # outside the sandbox each program would pass
    result = run(ScriptedLM(humaneval_hostile_but_correct), "pv_humaneval")
    assert result.metrics == {"pass@1,create_test": 0.0} and len(scoring) == 3


@sandboxed
def test_mbpp_scores_reference_wrong_and_hostile_completions(scoring: list[str]) -> None:
    result = run(ScriptedLM(mbpp_completion), "pv_mbpp")
    assert result.n_shot == {"pv_mbpp": 3}
    assert scores(result, "pv_mbpp", "pass_at_1") == {11: 1.0, 12: 0.0, 13: 0.0}
    assert result.metrics == {"pass_at_1,none": pytest.approx(1 / 3)}
    assert len(scoring) == 3 and "HF_ALLOW_CODE_EVAL" not in os.environ


def test_without_a_sandbox_nothing_is_scored_or_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "unavailable_reason", lambda: "the code sandbox needs root")

    def never(source: str, limits: sandbox.Limits | None = None) -> sandbox.Outcome:
        raise AssertionError("code ran without a sandbox")

    monkeypatch.setattr(sandbox, "run_python", never)
    with pytest.raises(LmEvalTaskError, match="runs only in the sandbox, which is not available: .*needs root"):
        run(ScriptedLM(humaneval_completion), "pv_humaneval")


@pytest.fixture(scope="module")
def backends(tiny: Any) -> dict[str, LM]:
    from lm_eval.models.huggingface import HFLM

    model, tokenizer = tiny
    return {
        "ours": PaperverdictLM(model=model, tokenizer=tokenizer, token_budget=4096),
        "hflm": HFLM(pretrained=model, tokenizer=tokenizer, batch_size=32, device="cpu"),
    }


@sandboxed
@pytest.mark.parametrize(("task", "metric"), [("pv_humaneval", "pass@1"), ("pv_mbpp", "pass_at_1")])
def test_our_backend_generates_what_hflm_generates(
    backends: dict[str, LM], scoring: list[str], task: str, metric: str
) -> None:
    ours, theirs = run(backends["ours"], task), run(backends["hflm"], task)
    a = sorted(ours.samples[task], key=lambda sample: sample["doc_id"])
    b = sorted(theirs.samples[task], key=lambda sample: sample["doc_id"])
    assert len(a) == len(b) == 3
    for mine, hers in zip(a, b):
        assert mine["arguments"] == hers["arguments"]  # prompt and generation settings
        assert mine["resps"] == hers["resps"] and mine["filtered_resps"] == hers["filtered_resps"]
        assert mine["resps"][0][0].strip()  # the model did generate something
        assert mine[metric] == hers[metric]
    assert ours.metrics == theirs.metrics
    assert len(scoring) == 6  # three documents, two backends, all in the sandbox


@pytest.mark.parametrize(("task", "key"), [("pv_humaneval", "pass@1,create_test"), ("pv_mbpp", "pass_at_1,none")])
def test_the_catalog_names_the_metrics_the_runs_report(task: str, key: str) -> None:
    """The planner checks a claimed metric against these keys before anything runs."""
    from services.evaluator.lm_eval_catalog import LmEvalCatalog

    info = LmEvalCatalog(FIXTURE_TASKS, offline=True).describe(task)
    assert not isinstance(info, str), info
    assert info.metric_keys == (key,) and info.local_data and info.documents == 3


def test_code_tasks_are_refused_before_loading_when_there_is_no_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "unavailable_reason", lambda: "the code sandbox needs root")
    assert code_tasks.code_task_refusal("sciq", ("acc,none", "acc_norm,none")) is None
    for task, keys in (("humaneval", ("pass@1,create_test",)), ("mbpp", ("pass_at_1,none",))):
        refusal = code_tasks.code_task_refusal(task, keys)
        assert refusal is not None and refusal.endswith("runs only in the sandbox: the code sandbox needs root")
    monkeypatch.setattr(sandbox, "unavailable_reason", lambda: None)
    assert code_tasks.code_task_refusal("humaneval", ("pass@1,create_test",)) is None
