"""The composition root every FastStream service shares: settings -> broker -> bus -> subscribers,
then the service's own clients on startup, closed again after shutdown. No I/O at import time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from faststream import FastStream
from faststream.kafka import KafkaBroker

from shared.bus import Bus, ensure_topics, make_broker
from shared.logging import configure_logging
from shared.settings import KafkaSettings

Register = Callable[[KafkaBroker, Bus, KafkaSettings, dict[str, Any]], None]
Start = Callable[[dict[str, Any], Bus], Awaitable[None]]


def service_app(service: str, register: Register, start: Start) -> FastStream:
    """`register` declares subscribers and publishers (handlers read their clients from `deps`);
    `start` fills `deps` once the topics exist. Every client in `deps` with `aclose` or `close`
    (httpx, motor) is closed after shutdown."""
    configure_logging()
    kafka = KafkaSettings()
    broker = make_broker(kafka, service=service)
    bus = Bus(broker, service=service)
    deps: dict[str, Any] = {}
    register(broker, bus, kafka, deps)
    app = FastStream(broker)

    @app.on_startup
    async def on_startup() -> None:
        await ensure_topics(kafka)
        await start(deps, bus)

    @app.after_shutdown
    async def on_shutdown() -> None:
        for client in deps.values():
            if hasattr(client, "aclose"):
                await client.aclose()
            elif callable(getattr(client, "close", None)):
                client.close()

    return app
