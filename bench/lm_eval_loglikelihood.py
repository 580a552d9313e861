"""lm-evaluation-harness scoring a request file, as `paperverdict eval loglikelihood` does: the
baseline process of `bench/loglikelihood_bench.py`.

    python bench/lm_eval_loglikelihood.py --model DIR --requests req.jsonl [--batch-size 64]

Reads {"id", "context", "continuation"} per line and prints {"id", "ll", "greedy"} per line, from
lm-eval's HFLM (SDPA attention, logits cache on, fp32 on CPU).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--requests", type=Path, required=True)
    parser.add_argument("--batch-size", default="64")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    rows = [json.loads(line) for line in args.requests.read_text(encoding="utf-8").splitlines() if line.strip()]
    batch = args.batch_size if args.batch_size == "auto" else int(args.batch_size)
    lm = HFLM(
        pretrained=args.model,
        batch_size=batch,
        device=args.device,
        dtype="float32" if args.device == "cpu" else "bfloat16",
        attn_implementation="sdpa",
        logits_cache=True,
    )
    instances = [Instance("loglikelihood", {}, (r["context"], r["continuation"]), i) for i, r in enumerate(rows)]
    for row, (ll, greedy) in zip(rows, lm.loglikelihood(instances, disable_tqdm=True)):
        print(json.dumps({"id": row.get("id"), "ll": ll, "greedy": greedy}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
