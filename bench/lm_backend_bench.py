"""Our engine as an lm-eval backend (`PaperverdictLM`) against lm-eval's HFLM, side by side in one
process: the same model object, the same lm-eval requests (`Instance`s carrying a task name and a
doc_id, as lm-eval's evaluator builds them), each backend's `loglikelihood` / `generate_until`.

    .venv/bin/python bench/lm_backend_bench.py [--subjects 20] [--questions 3] [--gsm8k 16] [--fixed-shots]
        [--model DIR]

Workloads:
- MMLU-shaped loglikelihood: `--subjects` tasks of `--questions` questions sharing a 5-shot prefix
  (~750 tokens), 4 single-token choices (" A".." D") each (`evaluator_bench.mmlu_workload`);
- GSM8K-shaped generate_until: `--gsm8k` 8-shot prompts built from `fixtures/data/gsm8k` the way
  lm-eval's gsm8k task formats them (other shots for every document, or `--fixed-shots`), its kwargs (until "Question:", "</s>",
  "<|im_end|>"; 256 new tokens at most), greedy.

The model is `evaluator_bench.py`'s random 4-layer Llama (fp32, CPU; nothing to download) unless
`--model` names a model folder (e.g. the real SmolLM2-135M snapshot under `.cache/real/hub`).
HFLM: SDPA, batch 64, logits cache on. Torch runs on `--threads` threads for both. Prints seconds,
the ratio, the largest |Δll|, greedy-flag agreement and how many generations are identical.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from evaluator_bench import TOKENIZER, build_model, mmlu_workload  # noqa: E402

GSM8K_KWARGS = {"until": ["Question:", "</s>", "<|im_end|>"], "do_sample": False, "temperature": 0.0}


def mmlu_instances(subjects: int, questions: int) -> list[Any]:
    from lm_eval.api.instance import Instance

    requests, documents, _ = mmlu_workload(random.Random(0), subjects, questions, 60)
    return [
        Instance("loglikelihood", {}, request, i, (f"mmlu_subject_{doc[0]}", doc[1], 1))
        for i, (request, doc) in enumerate(zip(requests, documents))
    ]


def gsm8k_instances(count: int, shots: int = 8, fixed_shots: bool = False) -> list[Any]:
    """lm-eval's gsm8k prompt: "Question: q\\nAnswer: a\\n\\n" per shot, then "Question: q\\nAnswer:". Its
    sampler draws other training shots for every document (seeded); `fixed_shots` gives every document
    the same ones, as tasks with fixed exemplars do (gsm8k-cot, bbh_cot_fewshot)."""
    from lm_eval.api.instance import Instance

    def rows(name: str) -> list[dict[str, str]]:
        return [json.loads(line) for line in (ROOT / "fixtures/data/gsm8k" / name).read_text().splitlines()]

    train, test = rows("train.jsonl"), rows("test.jsonl")
    rng = random.Random(1234)
    out = []
    for i in range(count):
        doc = test[i % len(test)]
        chosen = train[:shots] if fixed_shots else rng.sample(train, shots)
        shots_text = "".join(f"Question: {d['question']}\nAnswer: {d['answer']}\n\n" for d in chosen)
        context = f"{shots_text}Question: {doc['question']}\nAnswer:"
        out.append(Instance("generate_until", doc, (context, dict(GSM8K_KWARGS)), i, ("gsm8k", i, 1)))
    return out


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, default=20)
    parser.add_argument("--questions", type=int, default=3)
    parser.add_argument("--gsm8k", type=int, default=16, help="GSM8K-shaped prompts")
    parser.add_argument("--max-gen-toks", type=int, default=256)
    parser.add_argument("--fixed-shots", action="store_true", help="the same 8 shots in every prompt")
    parser.add_argument("--model", type=Path, help="a model folder (default: a random 4-layer Llama)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    from lm_eval.models.huggingface import HFLM
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from services.evaluator.lm_backend import PaperverdictLM

    torch.set_num_threads(args.threads)
    if args.model is not None:
        from transformers import AutoConfig

        from services.evaluator.models import attention_implementation

        attention = attention_implementation(AutoConfig.from_pretrained(args.model))  # eager for BLOOM, Gemma 2
        model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32, attn_implementation=attention)
        tokenizer = AutoTokenizer.from_pretrained(args.model)
        name = args.model.name
    else:
        tokenizer = AutoTokenizer.from_pretrained(next(TOKENIZER.iterdir()))
        model = build_model("cpu", len(tokenizer))
        name = "random Llama 256x4, fp32"
    model.eval()
    ours = PaperverdictLM(model=model, tokenizer=tokenizer)
    hflm = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=64, device="cpu", logits_cache=True)
    gen_ours, gen_hflm = ours, hflm
    if args.model is None:  # the random model's 8192 ids outnumber the tokenizer's: most would decode to ""
        gen_model = copy.deepcopy(model)
        gen_model.resize_token_embeddings(len(tokenizer))
        gen_ours = PaperverdictLM(model=gen_model, tokenizer=tokenizer)
        gen_hflm = HFLM(pretrained=gen_model, tokenizer=tokenizer, batch_size=64, device="cpu")
    print(f"model: {name}; torch threads {args.threads}; lm-eval HFLM batch 64 vs paperverdict backend")

    failures = 0
    ll_requests = mmlu_instances(args.subjects, args.questions)
    base_s, theirs = timed(lambda: hflm.loglikelihood(ll_requests, disable_tqdm=True))
    ours_s, mine = timed(lambda: ours.loglikelihood(ll_requests))
    worst = max(abs(a[0] - b[0]) for a, b in zip(mine, theirs))
    agree = sum(a[1] == b[1] for a, b in zip(mine, theirs)) / len(mine)
    failures += worst > 1e-4 or agree < 1
    print(
        f"MMLU-shaped loglikelihood ({len(ll_requests)} requests, {args.subjects} subjects x {args.questions}): "
        f"HFLM {base_s:.2f} s, ours {ours_s:.2f} s, {base_s / ours_s:.2f}x; max |Δll| {worst:.1e}, "
        f"greedy agreement {agree:.3f}"
    )

    gen_requests = gsm8k_instances(args.gsm8k, fixed_shots=args.fixed_shots)
    for request in gen_requests:
        request.arguments[1]["max_gen_toks"] = args.max_gen_toks
    base_s, theirs_text = timed(lambda: gen_hflm.generate_until(gen_requests, disable_tqdm=True))
    ours_s, mine_text = timed(lambda: gen_ours.generate_until(gen_requests))
    same = sum(a == b for a, b in zip(mine_text, theirs_text))
    failures += same != len(gen_requests)
    print(
        f"GSM8K-shaped generate_until ({len(gen_requests)} 8-shot prompts{', fixed shots' if args.fixed_shots else ''}, "
        f"{args.max_gen_toks} tokens at most): "
        f"HFLM {base_s:.2f} s, ours {ours_s:.2f} s, {base_s / ours_s:.2f}x; identical generations "
        f"{same}/{len(gen_requests)}, mean length {sum(map(len, mine_text)) / len(mine_text):.0f} chars, "
        f"{gen_ours.engine.stats.forward_passes} decoding steps (ours)"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
