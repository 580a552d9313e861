"""The extractor behind hard limits (`shared.isolation`): a child process with an address-space limit,
killed at a wall-clock deadline. Whatever an e-print does to the parser (a pathological table, a macro
that explodes, a bug of ours that loops), the caller gets an `ExtractionResult` back in bounded time and
memory, and a limit hit is a permanent `failed` outcome whose detail starts with "limit:", so the paper
is published with its reason and the partition moves on."""

from __future__ import annotations

import resource
from functools import partial

from services.extractor.extract import ExtractionResult, PaperSources, extract
from shared.isolation import ChildFailed, LimitExceeded, Limits, run_limited
from shared.logging import configure_logging
from shared.settings import ExtractorSettings, LogSettings


def _extract_measured(sources: PaperSources, settings: ExtractorSettings) -> ExtractionResult:
    result = extract(sources, settings)
    result.peak_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return result


def extract_isolated(
    sources: PaperSources, settings: ExtractorSettings | None = None, log: LogSettings | None = None
) -> ExtractionResult:
    """`extract` in a child process under `settings.max_memory_bytes` and `settings.max_seconds` (+ grace)."""
    settings = settings or ExtractorSettings()
    limits = Limits(settings.max_memory_bytes, settings.max_seconds, settings.grace_seconds)
    try:
        # the child's logs go to stderr like the caller's, never to stdout
        return run_limited(
            _extract_measured,
            sources,
            settings,
            limits=limits,
            what="extraction",
            preload=["services.extractor.extract"],
            setup=partial(configure_logging, log or LogSettings()),
        )
    except LimitExceeded as error:
        return ExtractionResult([], "failed", str(error))
    except ChildFailed as error:  # extract() reports its own failures; this is a bug of ours
        return ExtractionResult([], "failed", f"extractor error: {error}")


__all__ = ["extract_isolated"]
