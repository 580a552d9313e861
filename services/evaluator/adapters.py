"""What the evaluator needs from outside: GridFS for per-example records, the measurement cache in
MongoDB, and the runner (model loader + task data) built once per process from settings."""

from __future__ import annotations

import importlib
from typing import Any

from motor.motor_asyncio import AsyncIOMotorClient

from shared.settings import EvaluatorSettings, MongoSettings


def mongo_client(settings: MongoSettings) -> AsyncIOMotorClient[Any]:
    return AsyncIOMotorClient(settings.url.get_secret_value(), tz_aware=True, serverSelectionTimeoutMS=10_000)


def _first(module: Any, *names: str) -> Any:
    for name in names:
        if hasattr(module, name):
            return getattr(module, name)
    raise ImportError(f"{module.__name__} has none of {names}")


def build_runner(settings: EvaluatorSettings) -> Any:
    """EvaluationRunner(settings, models, data): one model loader and one data source per process,
    so a model is loaded once for all the claims keyed to it."""
    runner_mod = importlib.import_module("services.evaluator.runner")
    if hasattr(runner_mod, "build_runner"):
        return runner_mod.build_runner(settings)
    models_mod = importlib.import_module("services.evaluator.models")
    data_mod = importlib.import_module("services.evaluator.data")
    models = _first(models_mod, "ModelLoader", "HubModelLoader", "ModelCache")(settings)
    data = _first(data_mod, "TaskData", "DataSource", "LocalDataSource", "TaskDataSource")(settings)
    return runner_mod.EvaluationRunner(settings, models, data)


def build_cache(db: Any) -> Any:
    cache_mod = importlib.import_module("services.evaluator.cache")
    cls = _first(cache_mod, "MongoMeasurementCache", "MeasurementCache")
    return cls(db)
