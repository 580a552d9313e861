"""`paperverdict eval loglikelihood`, `paperverdict eval task` and `paperverdict eval lmeval`.

    paperverdict eval loglikelihood --model DIR_OR_REPO --requests requests.jsonl
        reads {"id", "context", "continuation"} per line, prints {"id", "ll", "greedy"} per line
        (lm-eval's `loglikelihood` contract)
    paperverdict eval task --model M --task <any lm-eval task> [--shots N] [--limit N] [--data DIR]
        [--records F] [--include-path DIR] [--chat-template] [--fewshot-as-multiturn] [--system-prompt S]
        runs lm-eval's task (or ours: `arc`, the papers' ARC mean; `lighteval_*`, SmolLM2's
        formulations) through lm-eval's evaluator, our engine as the model, planned and measured as
        the evaluator service does (the task's default shots and metric). Prints one Measurement as
        JSON (--limit: the first N documents of each task, as lm-eval's) and a one-line summary on
        stderr ("± N/A" where a standard error cannot be computed); --records F writes lm-eval's
        per-document samples (gzipped when F ends in .gz: the bytes whose sha256 is the
        measurement's records_sha256, as the evaluator stores them in GridFS). Offline, only tasks
        of --include-path or of --data's task folders (`mmlu/<subject>/` gives lm-eval's mmlu)
    paperverdict eval lmeval --model M --task lambada_openai [--shots N] [--limit N] [--records F]
        [--include-path DIR]
        the raw lm-eval run: every metric and stderr, task version and config hash as JSON;
        --records F writes lm-eval's per-sample records

--model takes a Hugging Face repo id or a local model folder (config.json, safetensors weights,
tokenizer files); a folder is recorded without this machine's path ("org/name" for a Hugging Face
cache snapshot, else "local:<folder name>") and its revision as "local-sha256:<digest>".
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.evaluator.engine import Engine
from services.evaluator.models import ModelLoader, ModelLoadError
from services.evaluator.planner import Unsupported, plan_run
from services.evaluator.runner import EvaluationRunner
from shared.logging import configure_cli_logging
from shared.models import Claim, ClaimCitation, ClaimProtocol, Measurement
from shared.settings import EvaluatorSettings


def _request_rows(requests: Path) -> list[dict[str, Any]] | str:
    """The requests file's JSON objects, or what is wrong with it (one line)."""
    try:
        lines = requests.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        return f"{requests}: not a readable text file ({error})"
    rows = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (ValueError, RecursionError) as error:
            return f"{requests}:{number}: not a JSON object ({str(error)[:120]})"
        if not isinstance(row, dict):
            return f"{requests}:{number}: not a JSON object"
        rows.append(row)
    return rows


def loglikelihood_command(model: str, requests: Path) -> int:
    configure_cli_logging()  # stdout carries the results
    settings = EvaluatorSettings(allow_local_models=True)  # the user names the folder on the command line
    rows = _request_rows(requests)  # checked before the model is loaded
    if isinstance(rows, str):
        print(f"error: {rows}", file=sys.stderr)
        return 2
    missing = [
        i
        for i, row in enumerate(rows, 1)
        if not {"context", "continuation"} <= row.keys()
        or not all(isinstance(row[k], str) for k in ("context", "continuation"))
    ]
    if missing:
        print(f"error: lines {missing[:5]} of {requests} lack a text 'context' or 'continuation'", file=sys.stderr)
        return 2
    try:
        loaded = ModelLoader(settings).load(model)
    except ModelLoadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    engine = Engine(loaded.model, loaded.tokenizer, token_budget=settings.token_budget)
    results = engine.loglikelihood([(row["context"], row["continuation"]) for row in rows])
    for row, (ll, greedy) in zip(rows, results):
        print(json.dumps({"id": row.get("id"), "ll": ll, "greedy": greedy}))
    return 0


@dataclass(frozen=True)
class PromptFormat:
    """How prompts reach an instruction-tuned model (lm-eval's apply_chat_template,
    fewshot_as_multiturn, system_instruction); the defaults are lm-eval's."""

    chat_template: bool = False
    fewshot_as_multiturn: bool | None = None  # None: lm-eval's default (multi-turn with the template)
    system_prompt: str | None = None

    @property
    def is_default(self) -> bool:
        return self == PromptFormat()


def task_command(
    model: str,
    task: str,
    shots: int | None,
    limit: int | None,
    data: Path | None,
    records: Path | None = None,
    include_path: Path | None = None,
    prompt: PromptFormat = PromptFormat(),
) -> int:
    """An lm-eval task by its name (ours included: `arc`, the lighteval formulations), run through
    lm-eval's evaluator with our engine; local task configs from --include-path, task folders from --data."""
    configure_cli_logging()  # stdout carries the measurement
    settings = EvaluatorSettings(allow_local_models=True)  # `--model DIR` is the user's own choice
    if data is not None:
        settings = settings.model_copy(update={"data_dir": data})
    if include_path is not None:
        if not include_path.is_dir():
            print(f"error: --include-path {include_path} is not a folder of lm-eval task configs", file=sys.stderr)
            return 2
        settings = settings.model_copy(update={"lmeval_include_path": include_path})
    runner = EvaluationRunner(settings, ModelLoader(settings))
    protocol = plan_run(
        _claim(
            ClaimProtocol(
                task=task,
                n_shot=shots,
                chat_template=prompt.chat_template,
                fewshot_as_multiturn=prompt.fewshot_as_multiturn,
                system_prompt=prompt.system_prompt,
            )
        ),
        max_examples=None,
        slice_seed=0,
        lm_eval_task=runner.lm_eval_task,
    )
    if isinstance(protocol, Unsupported):
        print(f"error: {protocol.reason}", file=sys.stderr)
        return 2
    if limit is not None:  # lm-eval's --limit: the first N documents of each task
        protocol = protocol.model_copy(update={"full_set": False, "examples": limit, "slice_seed": None})
    return _report(*runner.run(model, protocol), records)


def _report(measurement: Measurement, blob: bytes | None, records: Path | None) -> int:
    """Prints the measurement (JSON on stdout, one line on stderr) and writes the records."""
    if blob is not None:
        measurement = measurement.model_copy(update={"records_sha256": hashlib.sha256(blob).hexdigest()})
        if records is not None:
            records.write_bytes(blob if records.name.endswith(".gz") else gzip.decompress(blob))
    print(measurement.model_dump_json(indent=2))
    print(summary(measurement), file=sys.stderr)
    return 0 if measurement.failure is None else 1


def summary(measurement: Measurement) -> str:
    """One line as lm-eval's table shows it: value ± stderr, "N/A" where the stderr is undefined."""
    if measurement.failure is not None:
        return f"{measurement.task}: failed: {measurement.failure}"
    stderr = "N/A" if measurement.stderr is None else f"{measurement.stderr:.4f}"
    return (
        f"{measurement.task} {measurement.protocol.n_shot if measurement.protocol else '?'}-shot "
        f"{measurement.metric}: {measurement.value:.4f} ± {stderr} ({measurement.examples_used} examples, "
        f"{measurement.model_id} @ {measurement.model_revision})"
    )


def _claim(protocol: ClaimProtocol) -> Claim:
    """A claim standing for the command line's request (what the planner takes)."""
    return Claim(
        claim_id="cli",
        arxiv_id="cli",
        version=1,
        table_label="cli",
        row_index=0,
        col_index=0,
        citation=ClaimCitation(
            paper_arxiv_id="cli", section="", row="", column="", reported_value=0.0, reported_metric="", quoted_text=""
        ),
        model_label="cli",
        model_id="cli",
        protocol=protocol,
    )


def lmeval_command(
    model: str,
    task: str,
    shots: int | None,
    limit: int | None,
    records: Path | None = None,
    include_path: Path | None = None,
) -> int:
    """Any lm-eval task through lm-eval's own evaluator with our engine as the model: prints the
    metrics and stderrs (lm-eval's "metric,filter" keys), the task version and config hash as JSON."""
    from services.evaluator.lm_backend import UnsupportedRequest
    from services.evaluator.lm_eval_runs import LmEvalTaskError, run_lm_eval_task, write_samples

    configure_cli_logging()  # stdout carries the result
    if include_path is not None and not include_path.is_dir():
        print(f"error: --include-path {include_path} is not a folder of lm-eval task configs", file=sys.stderr)
        return 2
    try:
        run = run_lm_eval_task(model, task, shots, limit, include_path=include_path)
    except (LmEvalTaskError, ModelLoadError, UnsupportedRequest) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if records is not None:
        write_samples(run, records)
    print(json.dumps(run.summary(), indent=2, sort_keys=True))
    for key, value in sorted(run.metrics.items()):
        stderr = run.stderrs.get(key)
        print(f"{task} {key}: {value:.4f} ± {'N/A' if stderr is None else f'{stderr:.4f}'}", file=sys.stderr)
    return 0
