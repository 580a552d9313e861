"""How much memory a device has free: what generation may spend on its key/value cache.

On a GPU: the driver's free memory plus what torch's caching allocator holds but no tensor uses. On the
CPU: the host's available memory (`psutil`), lowered to the headroom of the process's cgroup (a
container's memory limit, cgroup v2 or v1), which /proc/meminfo does not show.
"""

from __future__ import annotations

from pathlib import Path

import psutil
import torch

CGROUP_ROOT = Path("/sys/fs/cgroup")
SELF_CGROUP = Path("/proc/self/cgroup")
UNLIMITED = 1 << 60  # cgroup v1 writes a huge number for "no limit"


def available_bytes(device: torch.device) -> int:
    """Bytes this process may still allocate on `device`."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        unused = torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)
        return int(free + max(0, unused))
    available = int(psutil.virtual_memory().available)
    headroom = cgroup_headroom(_read(SELF_CGROUP), CGROUP_ROOT)
    return min(available, headroom) if headroom is not None else available


def cgroup_headroom(self_cgroup: str, root: Path) -> int | None:
    """The smallest `limit - usage` over the process's cgroup and its ancestors; None without a limit.

    `self_cgroup` is /proc/self/cgroup: "0::/path" (v2) or "N:memory:/path" (v1)."""
    best: int | None = None
    for line in self_cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if controllers == "":
            base, limit_file, usage_file = root, "memory.max", "memory.current"
        elif "memory" in controllers.split(","):
            base, limit_file, usage_file = root / "memory", "memory.limit_in_bytes", "memory.usage_in_bytes"
        else:
            continue
        folder = base / path.strip().lstrip("/")
        while True:
            limit, usage = _number(folder / limit_file), _number(folder / usage_file)
            if limit is not None and usage is not None and limit < UNLIMITED:
                headroom = max(0, limit - usage)
                best = headroom if best is None else min(best, headroom)
            if folder == base or base not in folder.parents:
                break
            folder = folder.parent
    return best


def _number(path: Path) -> int | None:
    text = _read(path).strip()
    return int(text) if text.isdigit() else None  # "max" (v2's no limit) and a missing file: None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return ""
