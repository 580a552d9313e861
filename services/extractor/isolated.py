"""The extractor behind hard limits: a child process with an address-space limit, killed at a wall-clock
deadline. Whatever an e-print does to the parser (a pathological table, a macro that explodes, a bug of
ours that loops), the caller gets an `ExtractionResult` back in bounded time and memory, and a limit hit
is a permanent `failed` outcome whose detail starts with "limit:", so the paper is published with its
reason and the partition moves on.

Children come from a fork server that has imported the extractor once, so each paper costs a fork, not
an interpreter start; the fork server itself holds no threads (the service's Kafka client threads are
never forked).
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.connection
import os
import resource
import signal
from multiprocessing.context import ForkServerContext

from services.extractor.extract import ExtractionResult, PaperSources, extract
from shared.logging import configure_logging
from shared.settings import ExtractorSettings, LogSettings

_context: ForkServerContext | None = None


def _ctx() -> ForkServerContext:
    global _context
    if _context is None:
        ctx = multiprocessing.get_context("forkserver")
        assert isinstance(ctx, ForkServerContext)
        ctx.set_forkserver_preload(["services.extractor.extract"])
        _context = ctx
    return _context


def _child(conn: multiprocessing.connection.Connection, sources: PaperSources, settings: ExtractorSettings,
           log: LogSettings) -> None:
    configure_logging(log)  # a fresh process: its logs go to stderr like the caller's, never to stdout
    limit = settings.max_memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    cpu = int(settings.max_seconds) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    where = "parsing the e-print"
    try:
        result: ExtractionResult | None = extract(sources, settings)
        result.peak_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # type: ignore[union-attr]
        where = "sending the claims"
        conn.send(result)
        return
    except MemoryError:
        result = None  # free what the parser held before answering
    gc.collect()
    try:
        conn.send(ExtractionResult([], "failed", f"limit: memory over {limit // 2**20} MiB while {where}"))
    except MemoryError:
        os._exit(MEMORY_EXIT)  # the parent reports the memory limit from the exit code
    finally:
        conn.close()


MEMORY_EXIT = 3


def extract_isolated(sources: PaperSources, settings: ExtractorSettings | None = None,
                     log: LogSettings | None = None) -> ExtractionResult:
    """`extract` in a child process under `settings.max_memory_bytes` and `settings.max_seconds` (+ grace)."""
    settings = settings or ExtractorSettings()
    log = log or LogSettings()
    ctx = _ctx()
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(send, sources, settings, log), daemon=True)
    child.start()
    send.close()
    deadline = settings.max_seconds + settings.grace_seconds
    result: ExtractionResult | None = None
    timed_out = False
    try:
        if receive.poll(deadline):
            result = receive.recv()
        else:
            timed_out = True
    except (EOFError, OSError):
        result = None  # the child died before it could answer: see its exit code below
    finally:
        receive.close()
    child.join(timeout=2)
    if child.is_alive():
        child.kill()
        child.join()
    if result is not None:
        return result
    if timed_out:
        return ExtractionResult([], "failed", f"limit: extraction over {deadline:g} s (the parser was stopped)")
    if child.exitcode == -signal.SIGXCPU:
        return ExtractionResult([], "failed", f"limit: extraction over {settings.max_seconds:g} s of CPU")
    if child.exitcode == MEMORY_EXIT:
        return ExtractionResult([], "failed", f"limit: memory over {settings.max_memory_bytes // 2**20} MiB")
    return ExtractionResult([], "failed", f"limit: the parser process ended with code {child.exitcode} "
                            f"(memory limit {settings.max_memory_bytes // 2**20} MiB)")


__all__ = ["extract_isolated"]
