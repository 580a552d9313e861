"""What the evaluator needs from outside: MongoDB (GridFS for per-example records, the measurement
cache) and the runner (model loader + task data), built once per process from settings."""

from __future__ import annotations

from typing import Any

from shared.mongo import mongo_client  # noqa: F401  (re-exported for app.py)
from shared.settings import EvaluatorSettings


def build_runner(settings: EvaluatorSettings) -> Any:
    """One model loader and one task-data source per process: a model is loaded once for all the
    claims keyed to it."""
    from services.evaluator.runner import build_runner as runner_for

    return runner_for(settings)


async def build_cache(db: Any) -> Any:
    from services.evaluator.cache import MongoMeasurementCache

    cache = MongoMeasurementCache(db)
    await cache.ensure_indexes()
    return cache
