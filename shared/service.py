"""The composition root every FastStream service shares: settings -> metrics -> broker -> bus ->
subscribers, then the service's handler object and its clients on startup, closed again after
shutdown. No I/O at import time.

`faststream run services.<name>.app:app` serves the service's /livez, /readyz and /metrics
(shared/monitor.py) on PV_HEALTH_HOST:PV_HEALTH_PORT (default: the service's port in
`shared.settings.HEALTH_PORTS`); `--host`/`--port` on the command line override them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

from faststream.asgi import AsgiFastStream
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware

from shared.admin import ensure_topics
from shared.bus import Bus, make_broker
from shared.logging import configure_logging
from shared.metrics import Metrics
from shared.monitor import Monitor
from shared.settings import HealthSettings, KafkaSettings

H = TypeVar("H")
M = TypeVar("M")
R = TypeVar("R")


class Slot(Generic[H]):
    """Where a service's handler object lives once the app has started. Subscribers are declared before
    (at import, for the AsyncAPI document too) and read it per message."""

    def __init__(self) -> None:
        self._handler: H | None = None

    def fill(self, handler: H) -> None:
        self._handler = handler

    @property
    def handler(self) -> H:
        if self._handler is None:
            raise RuntimeError("the service has not started: its handler is not built yet")
        return self._handler

    def bound(self, method: Callable[[H, M], Awaitable[R]]) -> Callable[[M], Awaitable[R]]:
        """`method` of the handler the slot will hold, e.g. `slot.bound(Validator.on_planned)`."""

        def call(message: M) -> Awaitable[R]:
            return method(self.handler, message)

        return call


Register = Callable[[KafkaBroker, Bus, KafkaSettings, Slot[H]], None]
# `start` builds the handler object and returns it with the clients to close after shutdown.
Start = Callable[[Bus], Awaitable[tuple[H, Sequence[Any]]]]


async def close_all(clients: Sequence[Any]) -> None:
    """Close every client with `aclose` (httpx) or `close` (motor)."""
    for client in clients:
        if hasattr(client, "aclose"):
            await client.aclose()
        elif callable(getattr(client, "close", None)):
            client.close()


class ServiceApp(AsgiFastStream):
    """FastStream's ASGI app whose HTTP side listens where the settings say, logs through our JSON
    logging (no uvicorn log config of its own) and keeps scrapes out of the access log."""

    def __init__(self, broker: KafkaBroker, *, host: str, port: int, routes: Sequence[tuple[str, Any]]) -> None:
        super().__init__(broker, asgi_routes=routes)
        self.listen: dict[str, Any] = {"host": host, "port": port, "log_config": None, "access_log": "false"}

    async def run(self, log_level: int = logging.INFO, run_extra_options: dict[str, Any] | None = None) -> None:
        await super().run(log_level, {**self.listen, **(run_extra_options or {})})


def service_app(service: str, register: Register[H], start: Start[H]) -> ServiceApp:
    """`register` declares subscribers and publishers; `start` runs once the topics exist."""
    configure_logging()
    kafka, health = KafkaSettings(), HealthSettings()
    metrics = Metrics(service)
    prometheus = KafkaPrometheusMiddleware(registry=metrics.registry, app_name=service)
    broker = make_broker(kafka, service=service, middlewares=(prometheus,))
    monitor = Monitor(service, metrics, stale_poll_s=health.stale_poll_s)
    bus = Bus(broker, service=service, monitor=monitor)
    slot: Slot[H] = Slot()
    register(broker, bus, kafka, slot)
    app = ServiceApp(broker, host=health.host, port=health.port_for(service), routes=monitor.routes(broker))
    clients: list[Any] = []

    @app.on_startup
    async def on_startup() -> None:
        await ensure_topics(kafka)
        handler, opened = await start(bus)
        clients.extend(opened)
        slot.fill(handler)

    @app.after_shutdown
    async def on_shutdown() -> None:
        await close_all(clients)

    return app
