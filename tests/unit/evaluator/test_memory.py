"""Free memory for generation's batches (`services/evaluator/memory.py`): the host's available memory,
lowered to a container's cgroup headroom (v2 and v1 layouts written to a temporary folder)."""

from __future__ import annotations

from pathlib import Path

import psutil
import torch

from services.evaluator import memory

GIB = 1 << 30


def write(folder: Path, **files: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name.replace("_", ".", 1)).write_text(text + "\n")


def test_cgroup_v2_takes_the_tightest_level(tmp_path: Path):
    write(tmp_path, memory_max="max", memory_current=str(9 * GIB))  # the root: no limit
    write(tmp_path / "pod", memory_max=str(8 * GIB), memory_current=str(3 * GIB))  # 5 GiB left
    write(tmp_path / "pod" / "app", memory_max=str(6 * GIB), memory_current=str(2 * GIB))  # 4 GiB left
    assert memory.cgroup_headroom("0::/pod/app\n", tmp_path) == 4 * GIB
    write(tmp_path / "pod", memory_max=str(8 * GIB), memory_current=str(7 * GIB))  # the parent is tighter
    assert memory.cgroup_headroom("0::/pod/app\n", tmp_path) == 1 * GIB
    write(tmp_path / "pod", memory_max=str(8 * GIB), memory_current=str(9 * GIB))  # over: nothing, not negative
    assert memory.cgroup_headroom("0::/pod/app\n", tmp_path) == 0


def test_cgroup_v1_memory_controller(tmp_path: Path):
    root = tmp_path / "memory"
    write(root, memory_limit_in_bytes=str(memory.UNLIMITED), memory_usage_in_bytes=str(GIB))
    write(root / "docker" / "abc", memory_limit_in_bytes=str(3 * GIB), memory_usage_in_bytes=str(GIB))
    lines = "12:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n"
    assert memory.cgroup_headroom(lines, tmp_path) == 2 * GIB


def test_no_limit_or_no_cgroup_is_none(tmp_path: Path):
    write(tmp_path, memory_max="max", memory_current=str(GIB))
    assert memory.cgroup_headroom("0::/\n", tmp_path) is None
    assert memory.cgroup_headroom("0::/user.slice/missing\n", tmp_path) is None
    assert memory.cgroup_headroom("", tmp_path) is None
    assert memory.cgroup_headroom("garbage without colons\n", tmp_path) is None


def test_cpu_memory_is_at_most_what_the_host_has():
    free = memory.available_bytes(torch.device("cpu"))
    assert 0 <= free <= psutil.virtual_memory().total
