"""Running a parser of untrusted bytes behind hard limits: a child process with a memory rlimit and a CPU
rlimit, killed at a wall-clock deadline. Whatever the bytes do (a macro that explodes, a JSON nested a
million deep, a config that allocates gigabytes, a bug of ours that loops), the caller gets the result
or a `LimitExceeded` / `ChildFailed` in bounded time and memory. In-process checkpoints cannot promise
that; a process boundary can.

Children come from one fork server per process that has imported the modules named by `preload` once,
so each call costs a fork, not an interpreter start; the fork server holds no threads (a service's Kafka
client threads are never forked). `target` must be a module-level function; its result is pickled back.
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.connection
import os
import resource
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.context import ForkServerContext
from typing import Any, TypeVar

T = TypeVar("T")
MEMORY_EXIT = 3  # the child's exit code when even reporting its MemoryError failed

_context: ForkServerContext | None = None
_preload: list[str] = []


class LimitExceeded(Exception):
    """A limit was hit; the message starts with "limit:" and says which."""


class ChildFailed(Exception):
    """The target raised: the message is "<ExceptionType>: <first line>" (no traceback crosses over)."""


@dataclass(frozen=True)
class Limits:
    memory_bytes: int
    seconds: float  # CPU seconds in the child; the wall-clock deadline adds `grace_seconds`
    grace_seconds: float = 5.0
    rlimit: int = resource.RLIMIT_AS  # RLIMIT_DATA for code that maps large shared libraries (torch)


def _ctx(preload: Sequence[str]) -> ForkServerContext:
    """The fork server; modules to preload count only before it first starts (later ones import in the child)."""
    global _context
    for name in preload:
        if name not in _preload:
            _preload.append(name)
    if _context is None:
        _short_socket_folder()
        ctx = multiprocessing.get_context("forkserver")
        assert isinstance(ctx, ForkServerContext)
        _context = ctx
    _context.set_forkserver_preload(list(_preload))
    return _context


SOCKET_PATH_MAX = 107  # bytes of a Unix socket's path on Linux (sun_path less its NUL)
SOCKET_SUFFIX = len("/pymp-XXXXXXXX/listener-XXXXXXXX")  # what multiprocessing adds under the temp folder


def _short_socket_folder(candidates: Sequence[str] = ("/tmp", "/var/tmp", "/dev/shm")) -> None:
    """The fork server listens on a Unix socket in a folder multiprocessing makes under TMPDIR; under a
    deep TMPDIR (a CI runner's, a test's tmp_path) the path is too long and every limited parse fails
    with "AF_UNIX path too long". Then that folder goes under the first short system folder that can
    be written to, as Python 3.13 does by itself. Only before the fork server first starts."""
    import tempfile
    from multiprocessing import util

    if len(os.fsencode(tempfile.gettempdir())) + SOCKET_SUFFIX <= SOCKET_PATH_MAX:
        return
    for folder in candidates:
        if os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK):
            previous, tempfile.tempdir = tempfile.tempdir, folder
            try:
                util.get_temp_dir()  # made now under `folder`, and kept for this process's sockets
            finally:
                tempfile.tempdir = previous
            return


def _child(
    conn: multiprocessing.connection.Connection,
    target: Callable[..., Any],
    args: tuple[Any, ...],
    limits: Limits,
    setup: Callable[[], None] | None,
) -> None:
    if setup is not None:
        setup()
    resource.setrlimit(limits.rlimit, (limits.memory_bytes, limits.memory_bytes))
    cpu = int(limits.seconds) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    answer: tuple[str, Any]
    try:
        answer = ("ok", target(*args))
    except MemoryError:
        answer = ("memory", None)  # leaving the except block frees what the target held
    except Exception as error:  # noqa: BLE001 - reported to the parent as a one-line reason
        answer = ("raised", f"{type(error).__name__}: {(str(error).splitlines() or [''])[0][:300]}")
    if answer[0] == "memory":
        gc.collect()
    try:
        conn.send(answer)
    except MemoryError:
        os._exit(MEMORY_EXIT)  # even the answer did not fit: the parent reads the exit code
    finally:
        conn.close()


def run_limited(
    target: Callable[..., T],
    *args: Any,
    limits: Limits,
    what: str,
    preload: Sequence[str] = (),
    setup: Callable[[], None] | None = None,
) -> T:
    """`target(*args)` in a child under `limits`; `what` names the work in limit messages ("extraction")."""
    ctx = _ctx(preload)
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(send, target, args, limits, setup), daemon=True)
    child.start()
    send.close()
    deadline = limits.seconds + limits.grace_seconds
    answer: tuple[str, Any] | None = None
    timed_out = False
    try:
        if receive.poll(deadline):
            answer = receive.recv()
        else:
            timed_out = True
    except (EOFError, OSError):
        answer = None  # the child died before it could answer: see its exit code below
    finally:
        receive.close()
    child.join(timeout=2)
    if child.is_alive():
        child.kill()
        child.join()
    mib = limits.memory_bytes // 2**20
    if answer is not None:
        kind, value = answer
        if kind == "ok":
            return value  # type: ignore[no-any-return]
        if kind == "raised":
            raise ChildFailed(value)
        raise LimitExceeded(f"limit: memory over {mib} MiB during {what}")
    if timed_out:
        raise LimitExceeded(f"limit: {what} over {deadline:g} s (the process was stopped)")
    if child.exitcode == -signal.SIGXCPU:
        raise LimitExceeded(f"limit: {what} over {limits.seconds:g} s of CPU")
    if child.exitcode == MEMORY_EXIT:
        raise LimitExceeded(f"limit: memory over {mib} MiB during {what}")
    raise LimitExceeded(f"limit: the {what} process ended with code {child.exitcode} (memory limit {mib} MiB)")


__all__ = ["ChildFailed", "LimitExceeded", "Limits", "run_limited"]
