"""Scoring of lm-eval's code tasks (HumanEval, MBPP) in our sandbox, named by the task configs next to
this file (`!function code_tasks.<name>`).

lm-eval's own humaneval/mbpp metrics load Hugging Face `evaluate`'s `code_eval`, which executes the
generated code inside the evaluating process (and needs HF_ALLOW_CODE_EVAL=1). Here each program is
assembled exactly as `code_eval` assembles it (the candidate, a newline, the test code) and run by
`services.evaluator.sandbox.run_python`; pass@k is `code_eval`'s unbiased estimator. When the sandbox
is not available the metric raises `LmEvalTaskError` with the reason (the runner's failed measurement):
a code task is then never scored, and its code never run.

The functions keep the names, signatures and result keys of lm-eval's (`pass_at_k` -> {"pass@1": x}
for humaneval, `pass_at_1` -> x for mbpp), so runs report the metrics lm-eval's tasks report.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from math import comb
from pathlib import Path
from typing import Any

from services.evaluator import sandbox
from services.evaluator.lm_eval_runs import LmEvalTaskError
from shared.settings import SandboxSettings


def assemble_program(candidate: str, test_code: str) -> str:
    """The program `code_eval` runs for one candidate: candidate, newline, tests."""
    return candidate + "\n" + test_code


def estimate_pass_at_k(samples: int, correct: int, k: int) -> float:
    """Unbiased pass@k from `samples` generations of which `correct` passed (Chen et al., 2021)."""
    if samples - correct < k:
        return 1.0
    return 1.0 - comb(samples - correct, k) / comb(samples, k)


def run_tests(candidate: str, test_code: str) -> sandbox.Outcome:
    """One candidate against its tests in the sandbox (limits from PV_SANDBOX_*, read when lm-eval
    scores: this module is loaded by lm-eval from the task config, outside our composition root)."""
    try:
        reason = sandbox.unavailable_reason()
        if reason is not None:
            raise sandbox.SandboxUnavailable(reason)
        limits = sandbox.Limits.from_settings(SandboxSettings())
        return sandbox.run_python(assemble_program(candidate, test_code), limits)
    except sandbox.SandboxUnavailable as error:  # the runner reports it as the measurement's failure
        raise LmEvalTaskError(f"generated code runs only in the sandbox, which is not available: {error}") from error


def code_task_refusal(task: str, metric_keys: Sequence[str]) -> str | None:
    """Why `task` cannot run here when its metrics (lm-eval result keys) run generated code and the
    sandbox is unavailable, else None: for the planner, before any model loads."""
    if not any(key.startswith(("pass@", "pass_at_")) for key in metric_keys):
        return None
    reason = sandbox.unavailable_reason()
    if reason is None:
        return None
    return f"lm-eval task {task!r} is scored by running generated code, which runs only in the sandbox: {reason}"


def pass_at_k(
    references: list[str], predictions: list[list[str]], k: list[int] | int | None = None
) -> dict[str, float]:
    """HumanEval's metric (lm-eval's `utils.pass_at_k`): mean pass@k over the documents; predictions
    are the prompt plus each generation, references the test code ending in `check(entry_point)`."""
    ks = [k] if isinstance(k, int) else list(k or [1])
    per_document = [
        (len(candidates), sum(run_tests(candidate, test).passed for candidate in candidates))
        for test, candidates in zip(references, predictions)
    ]
    return {
        f"pass@{size}": sum(estimate_pass_at_k(n, c, size) for n, c in per_document) / len(per_document)
        for size in ks
        if all(n >= size for n, _ in per_document)
    }


def pass_at_1(references: str | list[str], predictions: str | list[str] | list[list[str]]) -> float:
    """MBPP's metric (lm-eval's `utils.pass_at_1`): the generation against the three asserts."""
    refs = [references] if isinstance(references, str) else references
    preds = [[predictions]] if isinstance(predictions, str) else predictions
    nested = [[p] if isinstance(p, str) else list(p) for p in preds]
    return pass_at_k(refs, nested, [1])["pass@1"]


def build_predictions(resps: list[list[str]], docs: list[dict[str, Any]]) -> list[list[str]]:
    """HumanEval's filter (lm-eval's `utils.build_predictions`): the prompt, then the generation."""
    return [[doc["prompt"] + response for response in responses] for responses, doc in zip(resps, docs)]


def list_fewshot_samples() -> list[dict[str, Any]]:
    """MBPP's three fixed few-shot documents, read (not imported: importing it loads `code_eval`)
    from the literal that lm-eval's own `mbpp/utils.py` returns."""
    import lm_eval

    source = Path(lm_eval.__file__).parent / "tasks" / "mbpp" / "utils.py"
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef) and node.name == "list_fewshot_samples":
            body = node.body[-1]
            if isinstance(body, ast.Return) and body.value is not None:
                samples: list[dict[str, Any]] = ast.literal_eval(body.value)
                return samples
    raise LookupError(f"{source} has no list_fewshot_samples() returning a literal")
