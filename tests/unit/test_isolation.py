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


def run_under(tmpdir: Path) -> tuple[str, str]:
    """PROGRAM in a fresh process (the fork server is one per process) with TMPDIR=tmpdir: the process's
    temp folder and the folder of multiprocessing's sockets."""
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        env={**os.environ, "TMPDIR": str(tmpdir)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    tempdir, sockets = done.stdout.split()
    return tempdir, sockets


def test_a_limited_child_starts_under_a_temp_folder_too_deep_for_a_socket(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    tempdir, sockets = run_under(deep)
    assert tempdir == str(deep)  # the process's own temp folder is unchanged
    assert len(sockets) + len("/listener-XXXXXXXX") <= 107 and Path(sockets).parent == Path("/tmp")


def test_a_short_temp_folder_is_kept(tmp_path: Path) -> None:
    assert Path(run_under(tmp_path)[1]).parent == tmp_path
