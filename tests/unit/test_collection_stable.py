"""`make test` runs on pytest-xdist workers, and xdist requires every worker to collect the same tests in
the same order ("Different tests were collected between gw0 and gw1" ends the run with nothing run).
A test parameter built from the clock (a gzip header's timestamp: test_atom.py had two, and a CI run
failed on them when the workers collected a second apart) or from hash order (iterating a set of
strings) breaks that at random. Two collections, a second or more apart and with different hash seeds,
must list the same tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def collected(seed: str) -> list[str]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "tests"],
        check=False,  # the return code is asserted with the output
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    return [line for line in out.stdout.splitlines() if "::" in line]


def test_two_collections_list_the_same_tests():
    first = collected("1")
    second = collected("2")  # a collection takes seconds: any timestamp in a parameter differs
    assert len(first) > 1000
    assert first == second, sorted(set(first) ^ set(second))[:10]
