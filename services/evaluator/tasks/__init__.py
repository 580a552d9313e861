"""The benchmark registry: one module per task family, each reproducing lm-evaluation-harness's
prompts, few-shot selection, choices and metrics. lighteval's formulations (SmolLM2-style papers) are
lm-eval task configs of ours (`services/evaluator/lmeval_tasks/lighteval/`)."""
