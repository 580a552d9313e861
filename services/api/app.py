"""Read side: the HTTP API and the web page over the publisher's MongoDB read model.

    uvicorn services.api.app:app --host 127.0.0.1 --port 8080
    python -m services.api            # same, host and port from PV_API_HOST / PV_API_PORT

The composition root: the motor client is created from `MongoSettings` when the app starts (lifespan),
never at import time; tests hand in a database with `create_app(db=...)`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from services.api import routes, ui
from services.publisher.store import PublisherStore
from shared.artifacts import ArtifactStore
from shared.mongo import mongo_client
from shared.settings import MongoSettings

API_VERSION = "0.1.0"


def _attach(app: FastAPI, db: Any) -> None:
    app.state.store = PublisherStore(db)
    app.state.artifacts = ArtifactStore(db)


def create_app(*, db: Any | None = None, settings: MongoSettings | None = None) -> FastAPI:
    """The API app; with `db` it reads that motor database, else one from settings at startup."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if db is not None:
            yield
            return
        mongo = settings or MongoSettings()
        client = mongo_client(mongo)
        _attach(app, client[mongo.database])
        try:
            yield
        finally:
            client.close()

    app = FastAPI(
        title="paperverdict",
        version=API_VERSION,
        summary="Verdicts on the numbers in machine-learning papers: published documents, history, claims.",
        lifespan=lifespan,
    )
    if db is not None:
        _attach(app, db)
    app.include_router(routes.router)
    app.include_router(ui.router)
    return app


app = create_app()
