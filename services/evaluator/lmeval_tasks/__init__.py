"""lm-eval task configs of the code benchmarks, scored in the sandbox (see code_tasks.py)."""
