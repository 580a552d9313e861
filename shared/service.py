"""The composition root every FastStream service shares: settings -> broker -> bus -> subscribers,
then the service's handler object and its clients on startup, closed again after shutdown. No I/O at
import time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

from faststream import FastStream
from faststream.kafka import KafkaBroker

from shared.admin import ensure_topics
from shared.bus import Bus, make_broker
from shared.logging import configure_logging
from shared.settings import KafkaSettings

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


def service_app(service: str, register: Register[H], start: Start[H]) -> FastStream:
    """`register` declares subscribers and publishers; `start` runs once the topics exist."""
    configure_logging()
    kafka = KafkaSettings()
    broker = make_broker(kafka, service=service)
    bus = Bus(broker, service=service)
    slot: Slot[H] = Slot()
    register(broker, bus, kafka, slot)
    app = FastStream(broker)
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
