"""shared/isolation.py under a deep TMPDIR: the fork server's Unix socket must still fit its path limit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = """
import math, resource, tempfile
from multiprocessing import util
from shared.isolation import Limits, run_limited

limits = Limits(memory_bytes=2**30, seconds=10, rlimit=resource.RLIMIT_DATA)
assert run_limited(math.sqrt, 49.0, limits=limits, what="a square root") == 7.0
print(tempfile.gettempdir())
print(util.get_temp_dir())
"""


def test_a_limited_child_starts_under_a_temp_folder_too_deep_for_a_socket(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        env={**os.environ, "TMPDIR": str(deep)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    tempdir, sockets = done.stdout.split()
    assert tempdir == str(deep)  # the process's own temp folder is unchanged
    assert len(sockets) + len("/listener-XXXXXXXX") <= 107 and Path(sockets).parent == Path("/tmp")


def test_a_short_temp_folder_is_kept(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        env={**os.environ, "TMPDIR": str(tmp_path)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert Path(done.stdout.split()[1]).parent == tmp_path
