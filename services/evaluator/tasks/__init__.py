"""The benchmark registry: one module per task family, each reproducing lm-evaluation-harness's
prompts, few-shot selection, choices and metrics (and lighteval's, where SmolLM2-style papers used it)."""
