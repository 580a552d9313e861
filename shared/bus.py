"""Publishing: the broker factory, the outputs a handler returns, and the `Bus` that sends them with
keys and headers (acks=all, idempotent producer) and writes dead letters. Consuming is in
`shared/consumer.py`; header conventions in `shared/headers.py`; dead letters in `shared/deadletters.py`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from faststream.kafka import KafkaBroker, KafkaRouter
from pydantic import BaseModel

from shared import topics
from shared.deadletters import DeadLetter, letter_for
from shared.errors import OutputTooLarge
from shared.headers import HEADER_CORRELATION_ID, headers_for
from shared.logging import broker_logger
from shared.messages import TOPIC_MESSAGES, new_correlation_id
from shared.monitor import Monitor
from shared.settings import KafkaSettings

M = TypeVar("M", bound=BaseModel)


def make_broker(settings: KafkaSettings, *, service: str, **kwargs: Any) -> KafkaBroker:
    """An idempotent, acks=all producer + consumers for one service. No I/O until the app starts.

    FastStream's per-message lines go to a plain stdlib logger, so that `configure_logging`'s formatter
    renders them (FastStream's default logger writes its own text format to stdout)."""
    return KafkaBroker(
        settings.bootstrap_servers,
        logger=kwargs.pop("logger", broker_logger()),
        client_id=f"paperverdict-{service}",
        enable_idempotence=True,
        acks="all",
        max_request_size=max(settings.max_message_bytes * 2, 1_048_576),
        graceful_timeout=kwargs.pop("graceful_timeout", 30.0),
        **kwargs,
    )


def json_decoder(model: type[M]) -> Callable[[bytes], M]:
    def decode(raw: bytes) -> M:
        return model.model_validate_json(raw)

    return decode


def declare_publisher(registrar: KafkaBroker | KafkaRouter, topic: str, description: str) -> None:
    """Document that this service publishes to `topic` (AsyncAPI); the schema comes from
    `shared.messages.TOPIC_MESSAGES` (a dead-letter topic: `DeadLetter`)."""
    base = topic.removesuffix(".dlq")
    schema = DeadLetter if base != topic and base in TOPIC_MESSAGES else TOPIC_MESSAGES[topic]
    registrar.publisher(topic, schema=schema, title=f"{topic}:publish", description=description)


@dataclass(frozen=True)
class Outgoing:
    """One message a handler wants published, with its partition key. `after_sent` runs once the broker
    acknowledged it (before the offset is committed): where a handler records that it went out."""

    topic: str
    message: BaseModel
    key: str
    after_sent: Callable[[], Awaitable[None]] | None = None


class Bus:
    """Publishes pipeline messages with keys and headers, waiting for the broker's acknowledgement.
    Its `monitor` is where the service's consumers register for health and metrics."""

    def __init__(self, broker: KafkaBroker, *, service: str, monitor: Monitor | None = None) -> None:
        self.broker = broker
        self.service = service
        self.monitor = monitor or Monitor(service)

    async def publish(self, topic: str, message: BaseModel, *, key: str, payload: bytes | None = None) -> None:
        payload = payload if payload is not None else message.model_dump_json().encode("utf-8")
        await self.broker.publish(
            payload,
            topic=topic,
            key=key.encode("utf-8"),
            headers={**headers_for(message), "content-type": "application/json"},
            correlation_id=getattr(message, "correlation_id", None) or new_correlation_id(),
        )

    async def publish_all(self, outputs: Iterable[Outgoing]) -> None:
        for out in outputs:
            await self.publish(out.topic, out.message, key=out.key)

    @staticmethod
    def encode_all(outputs: Iterable[Outgoing], max_bytes: int) -> list[tuple[Outgoing, bytes]]:
        """Every output serialized, or OutputTooLarge before anything is sent: a handler's outputs go out
        whole or not at all, never a broker refusal half way."""
        encoded = [(out, out.message.model_dump_json().encode("utf-8")) for out in outputs]
        for out, payload in encoded:
            if len(payload) > max_bytes:
                raise OutputTooLarge(
                    f"{type(out.message).__name__} for {out.topic} is {len(payload)} bytes, over "
                    f"the {max_bytes}-byte message limit (PV_KAFKA_MAX_MESSAGE_BYTES): nothing was sent"
                )
        return encoded

    async def dead_letter(self, record: Any, *, error: BaseException | str, stage: str, attempts: int) -> None:
        """Write the original bytes (base64), headers and the error to `<topic>.dlq`."""
        letter, headers = letter_for(record, service=self.service, error=error, stage=stage, attempts=attempts)
        await self.broker.publish(
            letter.model_dump_json().encode("utf-8"),
            topic=topics.dead_letter(record.topic),
            key=record.key,
            headers=headers,
            correlation_id=headers.get(HEADER_CORRELATION_ID) or new_correlation_id(),
        )
