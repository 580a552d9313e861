"""Running generated code (HumanEval, MBPP completions) only inside a sandbox.

Each program runs in its own process tree under util-linux `unshare`: new mount, network (loopback
only, down), pid, IPC and UTS namespaces. `sandbox_init.py`, pid 1 in there, makes every mount
read-only, puts an empty size-limited tmpfs on /tmp (the only writable folder), covers /root, /home
and $HOME with empty tmpfs (the Python installation stays visible), reads of /etc/passwd and
/etc/shadow return nothing, then runs the program as an unprivileged uid with CPU-time, memory,
process-count, file-size and open-file limits and no new privileges. Pid 1 ends after the wall-clock
limit, and the kernel then kills every process left in the pid namespace; should pid 1 hang, the
`unshare` process is killed and (`--kill-child`) takes pid 1 and its namespace along.

Two ways in, same sandbox. As root, `unshare` builds the namespaces and pid 1 drops the program to
uid `Limits.uid`. Unprivileged (the service's container runs as uid 10001), `unshare --user
--map-root-user` first makes a user namespace in which pid 1 may mount, and the program enters a
second, nested user namespace where it is uid `Limits.uid` with no capability at all (it cannot undo
the mounts it inherits). Where neither works (no `unshare`, user namespaces refused by the kernel,
seccomp or AppArmor), `unavailable_reason()` says so and code is never run: there is no fallback.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from shared.settings import SandboxSettings

INIT = Path(__file__).with_name("sandbox_init.py")
ROOTLESS_HINT = (
    "unprivileged, the sandbox needs user namespaces: the kernel must allow them to this uid, and in a "
    "container seccomp, AppArmor and the masked /proc must let `unshare` through (docs/evaluator.md)"
)
SETUP_TIMEOUT_S = 10.0  # namespaces and mounts; pid 1 times the program itself, this is the backstop
SIGNAL_REASONS = {
    "SIGXCPU": "CPU time limit",
    "SIGKILL": "killed (CPU hard limit or out of memory)",
    "SIGXFSZ": "file size limit",
    "SIGSEGV": "segmentation fault",
}


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot be set up here; the code was not run."""


@dataclass(frozen=True)
class Limits:
    cpu_s: int = 10
    wall_s: float = 20.0
    memory_bytes: int = 512 << 20
    processes: int = 16
    file_bytes: int = 16 << 20
    tmp_bytes: int = 64 << 20
    uid: int = 65534

    @classmethod
    def from_settings(cls, settings: SandboxSettings) -> Limits:
        return cls(
            cpu_s=settings.cpu_s,
            wall_s=settings.wall_s,
            memory_bytes=settings.memory_mb << 20,
            processes=settings.processes,
            file_bytes=settings.file_mb << 20,
            tmp_bytes=settings.tmp_mb << 20,
            uid=settings.uid,
        )


@dataclass(frozen=True)
class Outcome:
    passed: bool  # ran to its last line and exited 0
    reason: str  # "passed", "exit code 1", "timed out after 20 s", "CPU time limit", ...
    stdout_tail: str = ""  # the program's output, without the end marker
    stderr_tail: str = ""


def run_python(source: str, limits: Limits | None = None, *, as_user: int | None = None) -> Outcome:
    """Run `source` as a Python program in the sandbox. It passes only when it exits 0 after its last
    line (a marker appended to it is printed), so an early `exit(0)` is a failure. Raises
    SandboxUnavailable when the sandbox could not be set up (nothing ran). `as_user`: a root caller
    starts the sandbox as that unprivileged uid (the unprivileged way in, e.g. to test it)."""
    limits = limits or Limits()
    unshare = shutil.which("unshare")
    if unshare is None:
        raise SandboxUnavailable("util-linux `unshare` is not installed")
    launcher = [unshare]
    if as_user is not None:
        setpriv = shutil.which("setpriv")
        if os.geteuid() != 0 or setpriv is None:
            raise SandboxUnavailable("starting the sandbox as another uid needs root and util-linux `setpriv`")
        launcher = [setpriv, f"--reuid={as_user}", f"--regid={as_user}", "--clear-groups", "--", unshare]
    rootless = as_user is not None or os.geteuid() != 0
    marker = secrets.token_hex(16)
    python = _interpreter()
    job = {
        "program": f"{source}\n\nprint({marker!r})\n",
        "python": python,
        "keep": [os.path.dirname(os.path.dirname(python))],  # the installation: <prefix>/bin/python3.x
        "rootless": rootless,
        "hide": sorted({"/root", "/home", os.path.realpath(os.path.expanduser("~"))}),
        "blank": ["/etc/passwd", "/etc/shadow", "/etc/gshadow"],
        "tmp_bytes": limits.tmp_bytes,
        "wall_s": limits.wall_s,
        "uid": limits.uid,
        "limits": {
            "cpu_s": limits.cpu_s,
            "memory_bytes": limits.memory_bytes,
            "processes": limits.processes,
            "file_bytes": limits.file_bytes,
        },
    }
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        report, timed_out = _launch(launcher, job, stdout, stderr, limits.wall_s + SETUP_TIMEOUT_S)
        printed = _tail(stdout).splitlines()
        tail = _tail(stderr)
    finished = bool(printed) and printed[-1] == marker
    out = "\n".join(printed[:-1] if finished else printed)
    if "setup_error" in report:
        hint = f" ({ROOTLESS_HINT})" if rootless else ""
        raise SandboxUnavailable(f"the sandbox could not be set up: {report['setup_error']}{hint}")
    if timed_out or report.get("timed_out"):
        return Outcome(False, f"timed out after {limits.wall_s:g} s", out, tail)
    if "signal" in report:
        return Outcome(False, SIGNAL_REASONS.get(report["signal"], f"killed by {report['signal']}"), out, tail)
    if "exit_code" not in report:
        raise SandboxUnavailable(f"the sandbox ended without a report (stderr: {tail[-300:]!r})")
    if report["exit_code"] != 0:
        return Outcome(False, f"exit code {report['exit_code']}", out, tail)
    if not finished:
        return Outcome(False, "exited before its last line", out, tail)
    return Outcome(True, "passed", out, tail)


def _tail(handle: IO[bytes], size: int = 4000) -> str:
    handle.seek(0, os.SEEK_END)
    handle.seek(max(0, handle.tell() - size))
    return handle.read().decode("utf-8", "replace")


def _launch(
    launcher: list[str], job: dict[str, Any], stdout: IO[bytes], stderr: IO[bytes], wall_s: float
) -> tuple[dict[str, Any], bool]:
    """Start `sandbox_init.py` in new namespaces; its report and whether the wall clock ran out. Its
    source goes on the command line, so an unprivileged pid 1 need not be able to read this tree."""
    read_end, write_end = os.pipe()
    command = [
        *launcher,
        *(["--user", "--map-root-user"] if job["rootless"] else []),
        "--mount",
        "--net",
        "--pid",
        "--ipc",
        "--uts",
        "--fork",
        "--kill-child",
        "--mount-proc",
        _interpreter(),
        "-I",
        "-S",
        "-c",
        INIT.read_text(encoding="utf-8"),
        "--report",
        str(write_end),
    ]
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=stdout,
            stderr=stderr,
            pass_fds=(write_end,),
            start_new_session=True,
            cwd="/",
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        )
    finally:
        os.close(write_end)
    timed_out = False
    try:
        assert process.stdin is not None
        process.stdin.write(json.dumps(job).encode())
        process.stdin.close()
        process.wait(timeout=wall_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(process.pid, signal.SIGKILL)  # unshare --kill-child: pid 1 and its namespace go too
        process.wait()
    except BrokenPipeError:  # unshare itself failed before reading the job
        process.wait()
    with os.fdopen(read_end, "rb") as handle:
        raw = handle.read()
    if not raw and process.returncode not in (0, None) and not timed_out:
        stderr.seek(0)
        message = stderr.read(500).decode("utf-8", "replace").strip()
        return {"setup_error": f"unshare exited {process.returncode}: {message}"}, False
    return (json.loads(raw.splitlines()[0]) if raw.strip() else {}), timed_out


def _interpreter() -> str:
    """The real interpreter (not the virtualenv's launcher): the program gets the standard library."""
    return os.path.realpath(getattr(sys, "_base_executable", sys.executable))


PROBE = """
import os, socket
assert os.getuid() != 0, "running as root"
for path in ("/usr/pv-sandbox-probe", "/var/tmp/pv-sandbox-probe"):
    try:
        open(path, "w")
    except OSError:
        pass
    else:
        raise AssertionError(f"{path} is writable")
try:
    socket.create_connection(("1.1.1.1", 53), timeout=2)
except OSError:
    pass
else:
    raise AssertionError("the network is reachable")
open("/tmp/probe", "w").write("ok")
"""


@functools.cache
def unavailable_reason() -> str | None:
    """None when the sandbox works here (probed once per process: a program that checks it is not
    root, cannot write outside /tmp and cannot reach the network), else why code tasks cannot run."""
    try:
        outcome = run_python(PROBE, Limits(cpu_s=5, wall_s=10.0))
    except SandboxUnavailable as error:
        return str(error)
    except OSError as error:
        return f"the code sandbox could not start: {error}"
    if not outcome.passed:
        return f"the code sandbox does not isolate as it must ({outcome.reason}: {outcome.stderr_tail[-300:]})"
    return None
