"""Fidelity of our engine as an lm-eval backend (`services/evaluator/lm_backend.py`), side by side with
lm-eval's HFLM on the same tiny fp32 model: lm-eval's own task configs (`fixtures/lmeval_tasks`:
lm-eval's yaml `include`d, only the dataset pointed at local documents in the real schema) run through
`lm_eval.evaluator.simple_evaluate` with each model. Per task family:

- loglikelihood (lambada_openai: acc, perplexity; sciq 2-shot: multiple choice acc, acc_norm): the same
  requests, every |Δll| <= 1e-4, identical greedy flags, per-document scores and task metrics;
- loglikelihood_rolling (wikitext: word_perplexity, byte_perplexity, bits_per_byte) with a 64-token
  context so that pages span several windows: HFLM's windows token for token, |Δll| <= 1e-4 a page;
- generate_until (triviaqa 1-shot: stops "\\n" "." ","; gsm8k 2-shot: "Question:", 256 tokens):
  identical generations, filtered answers, per-document scores and metrics.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from services.evaluator.lm_backend import PaperverdictLM, UnsupportedRequest
from services.evaluator.lm_eval_runs import LmEvalRun, LmEvalTaskError, run_lm_eval_task

from .conftest import ROOT

TASKS = ROOT / "fixtures" / "lmeval_tasks"
MAX_DLL = 1e-4  # per request (the bound on the fixture model)
SHORT = 64  # context length for the rolling-window case: several windows a page


@pytest.fixture(scope="module")
def backends(tiny) -> dict[str, Any]:
    from lm_eval.models.huggingface import HFLM

    model, tokenizer = tiny
    return {
        "ours": PaperverdictLM(model=model, tokenizer=tokenizer, token_budget=4096),
        "hflm": HFLM(pretrained=model, tokenizer=tokenizer, batch_size=32, device="cpu"),
        "ours_short": PaperverdictLM(model=model, tokenizer=tokenizer, token_budget=4096, max_length=SHORT),
        "hflm_short": HFLM(pretrained=model, tokenizer=tokenizer, batch_size=32, device="cpu", max_length=SHORT),
    }


_runs: dict[tuple[str, str], LmEvalRun] = {}


def run(backends: dict[str, Any], which: str, task: str, shots: int | None = None, limit: int | None = None):
    key = (which, task)
    if key not in _runs:
        _runs[key] = run_lm_eval_task(
            backends[which], task, shots, limit, include_path=TASKS, include_defaults=False, bootstrap_iters=100
        )
    return _runs[key]


def side_by_side(ours: LmEvalRun, theirs: LmEvalRun, task: str) -> list[tuple[dict, dict]]:
    a = sorted(ours.samples[task], key=lambda s: (s["doc_id"], s.get("filter", "")))  # a sample per filter
    b = sorted(theirs.samples[task], key=lambda s: (s["doc_id"], s.get("filter", "")))
    assert len(a) == len(b) > 0
    for x, y in zip(a, b):
        assert x["arguments"] == y["arguments"], f"requests differ on doc {x['doc_id']}"
    return list(zip(a, b))


def loglikelihoods(sample: dict) -> list[tuple[float, bool | None]]:
    out = []
    for resp in sample["resps"]:
        value = resp[0]
        out.append((float(value[0]), bool(value[1])) if isinstance(value, (list, tuple)) else (float(value), None))
    return out


def assert_loglikelihoods_match(pairs: list[tuple[dict, dict]]) -> float:
    worst = 0.0
    for ours, theirs in pairs:
        for (our_ll, our_greedy), (their_ll, their_greedy) in zip(loglikelihoods(ours), loglikelihoods(theirs)):
            worst = max(worst, abs(our_ll - their_ll))
            assert our_greedy == their_greedy, f"greedy flag differs on doc {ours['doc_id']}"
    assert worst <= MAX_DLL
    return worst


def test_lambada_loglikelihood_and_perplexity_match_hflm(backends):
    ours, theirs = run(backends, "ours", "pv_lambada_openai"), run(backends, "hflm", "pv_lambada_openai")
    pairs = side_by_side(ours, theirs, "pv_lambada_openai")
    worst = assert_loglikelihoods_match(pairs)
    for a, b in pairs:
        assert a["acc"] == b["acc"]
    assert ours.metrics["acc,none"] == theirs.metrics["acc,none"]
    assert ours.stderrs["acc,none"] == theirs.stderrs["acc,none"]
    mean_ll = sum(loglikelihoods(b)[0][0] for _, b in pairs) / len(pairs)
    assert theirs.metrics["perplexity,none"] == pytest.approx(math.exp(-mean_ll), rel=1e-9)
    assert ours.metrics["perplexity,none"] == pytest.approx(theirs.metrics["perplexity,none"], rel=MAX_DLL)
    assert ours.versions["pv_lambada_openai"] == theirs.versions["pv_lambada_openai"] == 1.0
    print(f"lambada_openai max |Δll| {worst:.2e}")


def test_sciq_multiple_choice_matches_hflm(backends):
    ours, theirs = run(backends, "ours", "pv_sciq", 2), run(backends, "hflm", "pv_sciq", 2)
    assert ours.n_shot == theirs.n_shot == {"pv_sciq": 2}
    pairs = side_by_side(ours, theirs, "pv_sciq")
    assert all(len(a["resps"]) == 4 for a, _ in pairs)  # four choices a question
    assert pairs[0][0]["arguments"][0][0].count("Question:") == 3  # two shots and the question
    worst = assert_loglikelihoods_match(pairs)
    for a, b in pairs:
        assert (a["acc"], a["acc_norm"]) == (b["acc"], b["acc_norm"])
    assert ours.metrics == theirs.metrics
    assert ours.stderrs == theirs.stderrs
    print(f"sciq 2-shot max |Δll| {worst:.2e}")


def test_wikitext_rolling_windows_and_perplexities_match_hflm(backends):
    from lm_eval import utils as lm_utils

    hflm, ours_lm = backends["hflm_short"], backends["ours_short"]
    ours, theirs = run(backends, "ours_short", "pv_wikitext"), run(backends, "hflm_short", "pv_wikitext")
    pairs = side_by_side(ours, theirs, "pv_wikitext")
    windows = []
    for sample, _ in pairs:
        text = sample["arguments"][0][0]
        expected = [
            lm_utils.make_disjoint_window(w)
            for w in lm_utils.get_rolling_token_windows(
                token_list=hflm.tok_encode(text), prefix_token=hflm.prefix_token_id, max_seq_len=SHORT, context_len=1
            )
        ]
        got = ours_lm.rolling_windows(text)
        assert [(list(w.context), list(w.continuation)) for w in got] == [(list(c), list(k)) for c, k in expected]
        windows.append(len(got))
    assert len(windows) == len(pairs) and max(windows) >= 3  # pages really span several windows
    worst = assert_loglikelihoods_match(pairs)
    for metric in ("word_perplexity,none", "byte_perplexity,none", "bits_per_byte,none"):
        assert ours.metrics[metric] == pytest.approx(theirs.metrics[metric], rel=1e-6)
    print(f"wikitext (64-token windows: {windows}) max |Δll| a page {worst:.2e}")


@pytest.mark.parametrize(("task", "shots", "limit"), [("pv_triviaqa", 1, None), ("pv_gsm8k", 2, 3)])
def test_generations_match_hflm(backends, task, shots, limit):
    ours, theirs = run(backends, "ours", task, shots, limit), run(backends, "hflm", task, shots, limit)
    pairs = side_by_side(ours, theirs, task)
    assert len(pairs) == (limit or 4) * len(ours.metrics)  # one sample per document and filter
    for a, b in pairs:
        assert a["resps"] == b["resps"], f"generation differs on doc {a['doc_id']}"
        assert a["filtered_resps"] == b["filtered_resps"]
        assert a["exact_match"] == b["exact_match"]
    assert any(a["resps"][0][0] for a, _ in pairs)  # something was generated
    assert ours.metrics == theirs.metrics and ours.stderrs == theirs.stderrs
    assert set(ours.metrics) == (
        {"exact_match,remove_whitespace"}
        if task == "pv_triviaqa"
        else {"exact_match,strict-match", "exact_match,flexible-extract"}
    )


def test_config_hash_is_stable_and_follows_the_protocol(backends):
    first = run(backends, "ours", "pv_sciq", 2)
    again = run_lm_eval_task(
        backends["ours"], "pv_sciq", 2, None, include_path=TASKS, include_defaults=False, bootstrap_iters=100
    )
    other = run_lm_eval_task(
        backends["ours"], "pv_sciq", 0, 1, include_path=TASKS, include_defaults=False, bootstrap_iters=100
    )
    assert first.config_hash == again.config_hash == run(backends, "hflm", "pv_sciq", 2).config_hash
    assert other.config_hash != first.config_hash  # n-shot is part of the resolved config
    assert first.lm_eval_version.startswith("0.4.")


def test_unknown_task_and_data_not_here_fail_with_a_reason(backends, tmp_path: Path):
    with pytest.raises(LmEvalTaskError, match=r"no task 'pv_sciqq'.*pv_sciq"):
        run_lm_eval_task(backends["ours"], "pv_sciqq", include_path=TASKS, include_defaults=False)
    (tmp_path / "absent.yaml").write_text(
        "include: ${LM_EVAL_TASKS}/sciq/sciq.yaml\ntask: pv_absent\ndataset_path: paperverdict-fixtures/absent\n"
    )
    with pytest.raises(LmEvalTaskError, match=r"pv_absent.*dataset is not available"):
        run_lm_eval_task(backends["ours"], "pv_absent", include_path=tmp_path, include_defaults=False)


def test_sampling_is_refused(backends):
    from lm_eval.api.instance import Instance

    request = Instance("generate_until", {}, ("Question: 1+1?", {"do_sample": True, "temperature": 0.7}), 0)
    with pytest.raises(UnsupportedRequest, match="sampling"):
        backends["ours"].generate_until([request])


def test_lmeval_command_prints_metrics_and_writes_records(backends, tmp_path: Path, capsys):
    import json

    from services.cli.evaluate import lmeval_command

    from .conftest import TINY, TINY_SHA

    records = tmp_path / "samples.jsonl"
    assert lmeval_command(TINY, "pv_sciq", 2, None, records, TASKS) == 0
    printed = json.loads(capsys.readouterr().out)
    expected = run(backends, "ours", "pv_sciq", 2)
    assert printed["metrics"] == expected.metrics and printed["stderrs"] == expected.stderrs
    assert printed["config_hash"] == expected.config_hash and printed["versions"] == {"pv_sciq": 1.0}
    assert (printed["model_id"], printed["model_revision"]) == (TINY, TINY_SHA)
    rows = [json.loads(line) for line in records.read_text().splitlines()]
    assert [r["doc_id"] for r in rows] == [0, 1, 2, 3] and all(r["task"] == "pv_sciq" for r in rows)


def test_lmeval_command_names_what_is_wrong(tmp_path: Path, capsys):
    from services.cli.evaluate import lmeval_command

    from .conftest import TINY

    assert lmeval_command(TINY, "pv_sciq", None, None, None, tmp_path / "missing") == 2
    assert "is not a folder" in capsys.readouterr().err


def test_generation_with_a_shared_prompt_prefix_matches_hflm(backends):
    """Prompts that share a long prefix (fixed few-shot exemplars) run it once; the rows, of different
    lengths, still generate exactly what HFLM's left-padded `generate` gives."""
    import json

    from lm_eval.api.instance import Instance

    from services.evaluator.generation import MIN_SHARED_PROMPT, common_prefix_length

    rows = [json.loads(line) for line in (ROOT / "fixtures/data/gsm8k/train.jsonl").read_text().splitlines()]
    shots = "".join(f"Question: {r['question']}\nAnswer: {r['answer']}\n\n" for r in rows[:3])
    questions = ["What is 2 + 3?", rows[5]["question"], "A train leaves at noon. " * 3 + "When does it arrive?"]
    kwargs = {"until": ["Question:", "\n\n"], "do_sample": False, "max_gen_toks": 48}
    requests = [
        Instance("generate_until", {}, (shots + f"Question: {q}\nAnswer:", kwargs), i) for i, q in enumerate(questions)
    ]
    encoded = backends["ours"].engine.encoder.encode_many([r.args[0] for r in requests])
    assert common_prefix_length(encoded) >= MIN_SHARED_PROMPT and len({len(e) for e in encoded}) == 3
    ours = backends["ours"].generate_until(requests)
    theirs = backends["hflm"].generate_until(requests, disable_tqdm=True)
    assert ours == theirs and any(ours)
