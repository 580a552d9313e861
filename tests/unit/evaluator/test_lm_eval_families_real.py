"""A few task families of `test_lm_eval_families.py` on the real model (SmolLM2-135M-Instruct, fp32,
CPU; `scripts/real_fixtures.py`), side by side with HFLM: per request |Δll| <= 1e-3 (the issue's bound
on a real model), identical generations, filtered answers, per-document scores and metrics. One
family of each kind: multiple choice on real rows (siqa, copa), a probability-mass metric
(truthfulqa_mc2), a likelihood difference (crows_pairs), generation on real rows (nq_open, drop), and
IFEval's instruction checks on the model's own text (written prompts)."""

from __future__ import annotations

from typing import Any

import pytest

from .test_lm_backend_real import real_backends  # noqa: F401  (the module-scoped real model fixture)
from .test_lm_eval_families import FAMILIES, Family, compare, run

pytestmark = pytest.mark.slow

MAX_DLL_REAL = 1e-4  # the issue allows 1e-3 on a real model; measured at most 3.0e-5 (copa)
REAL_FAMILIES = [
    "pv_siqa",
    "pv_copa",
    "pv_truthfulqa_mc2",
    "pv_crows_pairs_english",
    "pv_nq_open",
    "pv_drop",
    "pv_ifeval",
]


@pytest.mark.parametrize("family", [f for f in FAMILIES if f.task in REAL_FAMILIES], ids=repr)
def test_family_matches_hflm_on_the_real_model(real_backends: dict[str, Any], family: Family) -> None:  # noqa: F811
    ours, theirs = run(real_backends["ours"], family), run(real_backends["hflm"], family)
    worst = compare(family, ours, theirs, MAX_DLL_REAL)
    print(f"real model {family.task}: max |Δll| {worst:.2e}, {theirs.metrics}")
    if family.task in ("pv_nq_open", "pv_drop"):
        print("  answers:", [s["filtered_resps"] for s in ours.samples[family.task]])
    if family.task == "pv_ifeval":  # the checks ran on real text: some instructions kept, some not
        kept = [flag for s in ours.samples[family.task] for flag in s["inst_level_loose_acc"]]
        print("  instructions kept (loose):", kept)
        assert any(kept) and not all(kept)
