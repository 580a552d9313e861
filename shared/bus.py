"""Kafka plumbing every service shares: the broker factory, header conventions, decoding at the
boundary, retry-then-dead-letter, and commit-after-output.

A handler registered with `consume` gets a validated pydantic message and returns (or publishes
through `Bus.publish`) its outputs. The offset is committed only after the handler returned and every
output it returned was acknowledged by Kafka (acks=all, idempotent producer). A message that cannot
be decoded goes to `<topic>.dlq` at once; a handler that raises is retried with exponential backoff
(transient errors) and then dead-lettered; a `PermanentError` or `ValueError` (bad input, a refused
gate) is dead-lettered at once. If even the
dead letter cannot be written, the partition is rewound (nack) so that nothing is lost silently.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.annotations import KafkaMessage
from pydantic import BaseModel, ValidationError

from shared import topics
from shared.ids import InvalidArxivId, parse_arxiv_id
from shared.logging import bind_message, broker_logger, get_logger
from shared.messages import IngestPaper, Message, new_correlation_id
from shared.settings import KafkaSettings

# Kafka header names (FastStream itself writes `correlation_id`).
HEADER_CORRELATION_ID = "correlation_id"
HEADER_SCHEMA_VERSION = "schema_version"
HEADER_MESSAGE_TYPE = "message_type"
HEADER_ARXIV_ID = "arxiv_id"
HEADER_CLAIM_ID = "claim_id"
HEADER_ERROR = "x-dead-letter-error"

# Dead letters keep at most this much of the original payload (base64 grows it by a third and the
# dead letter must itself fit under the broker's message size limit).
DLQ_MAX_ORIGINAL_BYTES = 256_000

M = TypeVar("M", bound=BaseModel)
log = get_logger("paperverdict.bus")


class PermanentError(Exception):
    """Retrying cannot help (unknown paper, unusable input): dead-letter at once with this reason."""


class TransientError(Exception):
    """Worth retrying (broker, MongoDB, arXiv hiccups); dead-lettered once retries run out."""


class MessageRejected(PermanentError):
    """The payload failed validation at the boundary."""


# ---------------------------------------------------------------- broker and headers


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


def headers_for(message: BaseModel, **extra: str | None) -> dict[str, str]:
    """Kafka headers of an outgoing message: schema version, type, correlation id, arxiv/claim ids."""
    headers: dict[str, str] = {HEADER_MESSAGE_TYPE: type(message).__name__}
    if isinstance(message, Message):
        headers[HEADER_SCHEMA_VERSION] = str(message.schema_version)
        headers[HEADER_CORRELATION_ID] = message.correlation_id
    arxiv_id, claim_id = message_ids(message)
    if arxiv_id:
        headers[HEADER_ARXIV_ID] = arxiv_id
    if claim_id:
        headers[HEADER_CLAIM_ID] = claim_id
    headers.update({k: v for k, v in extra.items() if v is not None})
    return headers


def message_ids(message: BaseModel) -> tuple[str | None, str | None]:
    """(arxiv_id, claim_id) of any pipeline message, for headers and log context."""
    arxiv_id = getattr(message, "arxiv_id", None)
    paper = getattr(message, "paper", None)
    if arxiv_id is None and paper is not None:
        arxiv_id = paper.arxiv_id
    claim_id = getattr(message, "claim_id", None)
    claim = getattr(message, "claim", None)
    if claim_id is None and claim is not None:
        claim_id = claim.claim_id
    return arxiv_id, claim_id


def decode_headers(raw: Iterable[tuple[str, bytes]] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in raw or ():
        out[name] = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return out


# ---------------------------------------------------------------- decoding at the boundary


def json_decoder(model: type[M]) -> Callable[[bytes], M]:
    def decode(raw: bytes) -> M:
        return model.model_validate_json(raw)

    return decode


def decode_ingest_request(raw: bytes) -> IngestPaper:
    """A JSON `IngestPaper` object, or a bare arXiv ID as UTF-8 text.

    Anything that is not a JSON object is read as text, so `2502.02730` stays the string it was and
    is never parsed as the float 2502.0273. A quoted JSON string is accepted too.
    """
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise MessageRejected(f"ingest request is not UTF-8 text: {exc}") from exc
    if not text:
        raise MessageRejected("ingest request is empty: send an arXiv ID such as 2502.02737 or a JSON object")
    if text.startswith("{"):
        try:
            request = IngestPaper.model_validate_json(text)
        except ValidationError as exc:
            raise MessageRejected(f"ingest request is not a valid IngestPaper JSON object: {exc}") from exc
    else:
        if len(text) >= 2 and text[0] == text[-1] == '"':
            text = text[1:-1].strip()
        request = IngestPaper(arxiv_id=text)
    try:
        parse_arxiv_id(request.arxiv_id)
    except InvalidArxivId as exc:
        raise MessageRejected(str(exc)) from exc
    return request


# ---------------------------------------------------------------- dead letters


class DeadLetter(BaseModel):
    """What `<topic>.dlq` carries: where the message came from, why it failed, and its bytes."""

    topic: str
    partition: int
    offset: int
    key: str | None = None
    service: str
    stage: str  # "decode" (never reached the handler) or "handle" (the handler failed)
    attempts: int
    error_type: str
    error: str
    original_size: int
    original_truncated: bool = False
    original_b64: str  # the original message bytes, base64 (at most DLQ_MAX_ORIGINAL_BYTES of them)
    original_headers: dict[str, str] = {}
    failed_at: datetime

    def original(self) -> bytes:
        return base64.b64decode(self.original_b64)


# ---------------------------------------------------------------- publishing


class OutputTooLarge(PermanentError):
    """An output message over the broker's size limit: refused before anything was sent."""


@dataclass(frozen=True)
class Outgoing:
    """One message a handler wants published, with its partition key."""

    topic: str
    message: BaseModel
    key: str


class Bus:
    """Publishes pipeline messages with keys and headers, waiting for the broker's acknowledgement."""

    def __init__(self, broker: KafkaBroker, *, service: str) -> None:
        self.broker = broker
        self.service = service

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

    async def dead_letter(
        self,
        record: Any,
        *,
        error: BaseException | str,
        stage: str,
        attempts: int,
    ) -> None:
        """Write the original bytes (base64), headers and the error to `<topic>.dlq`."""
        original: bytes = record.value or b""
        headers = decode_headers(record.headers)
        error_text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        letter = DeadLetter(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key.decode("utf-8", "replace") if isinstance(record.key, bytes) else record.key,
            service=self.service,
            stage=stage,
            attempts=attempts,
            error_type="message" if isinstance(error, str) else type(error).__name__,
            error=error_text,
            original_size=len(original),
            original_truncated=len(original) > DLQ_MAX_ORIGINAL_BYTES,
            original_b64=base64.b64encode(original[:DLQ_MAX_ORIGINAL_BYTES]).decode("ascii"),
            original_headers=headers,
            failed_at=datetime.now(UTC),
        )
        await self.broker.publish(
            letter.model_dump_json().encode("utf-8"),
            topic=topics.dead_letter(record.topic),
            key=record.key,
            headers={
                **{k: v for k, v in headers.items() if k in (HEADER_CORRELATION_ID, HEADER_ARXIV_ID, HEADER_CLAIM_ID)},
                HEADER_ERROR: error_text[:500],
                "content-type": "application/json",
            },
            correlation_id=headers.get(HEADER_CORRELATION_ID) or new_correlation_id(),
        )


# ---------------------------------------------------------------- consuming

Handler = Callable[[M], Awaitable[Iterable[Outgoing] | None]]


@dataclass
class RetryPolicy:
    attempts: int = 5
    backoff_s: float = 0.5
    max_backoff_s: float = 30.0

    @classmethod
    def from_settings(cls, settings: KafkaSettings) -> RetryPolicy:
        return cls(attempts=max(1, settings.retry_attempts), backoff_s=settings.retry_backoff_s)

    def delay(self, attempt: int) -> float:
        return min(self.max_backoff_s, self.backoff_s * 2.0 ** (attempt - 1))


@dataclass
class ConsumerStats:
    """Counters a test or a log line can read."""

    handled: int = 0
    dead_lettered: int = 0
    retried: int = 0
    last_errors: list[str] = field(default_factory=list)


async def _raw_body(message: Any) -> bytes:
    # Decoding happens in `consume`, where a failure can be dead-lettered with the original bytes.
    body: bytes = message.body
    return body


def consume(
    registrar: KafkaBroker | KafkaRouter,
    topic: str,
    *,
    bus: Bus,
    group_id: str,
    decode: Callable[[bytes], M],
    handler: Handler[M],
    settings: KafkaSettings,
    description: str = "",
    max_poll_interval_ms: int | None = None,
    retry: RetryPolicy | None = None,
    stats: ConsumerStats | None = None,
) -> ConsumerStats:
    """Subscribe `handler` to `topic` with at-least-once delivery (see the module docstring)."""
    policy = retry or RetryPolicy.from_settings(settings)
    counters = stats or ConsumerStats()
    poll_interval = max_poll_interval_ms or 300_000

    @registrar.subscriber(
        topic,
        group_id=group_id,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        decoder=_raw_body,
        max_poll_interval_ms=poll_interval,
        rebalance_timeout_ms=poll_interval,
        session_timeout_ms=settings.session_timeout_ms,
        heartbeat_interval_ms=max(1000, settings.session_timeout_ms // 3),
        max_poll_records=1,
        max_partition_fetch_bytes=max(settings.max_message_bytes * 2, 1_048_576),
        title=f"{group_id}:{topic}",
        description=description or None,
    )
    async def on_message(body: bytes, message: KafkaMessage) -> None:
        record = message.raw_message
        assert not isinstance(record, tuple), "one record per message (not a batch subscriber)"
        headers = decode_headers(record.headers)
        bind_message(
            topic=topic,
            correlation_id=headers.get(HEADER_CORRELATION_ID),
            arxiv_id=headers.get(HEADER_ARXIV_ID),
            claim_id=headers.get(HEADER_CLAIM_ID),
            partition=record.partition,
            offset=record.offset,
        )
        try:
            await _process(record, body, headers)
        except BaseException:
            # Not even the dead letter could be written (or we are being cancelled): rewind so the
            # message is delivered again instead of being skipped by the next commit.
            await message.nack()
            raise
        await message.ack()

    async def _process(record: Any, body: bytes, headers: dict[str, str]) -> None:
        if len(body) > settings.max_message_bytes:
            reason = (
                f"message of {len(body)} bytes exceeds the limit of {settings.max_message_bytes} bytes "
                "(PV_KAFKA_MAX_MESSAGE_BYTES); large artifacts belong in GridFS, referenced by sha256"
            )
            log.warning("message_rejected", reason=reason)
            await _dead_letter(record, reason, "decode", 0)
            return
        try:
            decoded = decode(body)
        except (ValidationError, ValueError, PermanentError) as exc:
            log.warning("message_rejected", error=str(exc)[:2000])
            await _dead_letter(record, exc, "decode", 0)
            return
        arxiv_id, claim_id = message_ids(decoded)
        bind_message(
            topic=topic,
            correlation_id=getattr(decoded, "correlation_id", None) or headers.get(HEADER_CORRELATION_ID),
            arxiv_id=arxiv_id,
            claim_id=claim_id,
            partition=record.partition,
            offset=record.offset,
        )
        attempt = 0
        pending: list[tuple[Outgoing, bytes]] | None = None  # the handler's outputs, once it has succeeded
        sent = 0  # how many of them the broker acknowledged: a retry goes on from there, never republishes
        while True:
            attempt += 1
            try:
                if pending is None:
                    pending = Bus.encode_all(await handler(decoded) or [], settings.max_message_bytes)
                while sent < len(pending):
                    out, payload = pending[sent]
                    await bus.publish(out.topic, out.message, key=out.key, payload=payload)
                    sent += 1
                counters.handled += 1
                return
            except asyncio.CancelledError:
                raise
            except (PermanentError, ValidationError, ValueError) as exc:
                # Bad input or a refused gate (GateViolation is a ValueError): retrying cannot help.
                log.warning("message_failed_permanently", error=str(exc)[:2000], attempt=attempt)
                await _dead_letter(record, exc, "handle", attempt)
                return
            except Exception as exc:  # noqa: BLE001 - anything else is retried, then dead-lettered
                if attempt >= policy.attempts:
                    log.error("message_failed_after_retries", error=repr(exc)[:2000], attempts=attempt)
                    await _dead_letter(record, exc, "handle", attempt)
                    return
                counters.retried += 1
                delay = policy.delay(attempt)
                log.warning("message_retrying", error=repr(exc)[:500], attempt=attempt, delay_s=delay)
                await asyncio.sleep(delay)

    async def _dead_letter(record: Any, error: BaseException | str, stage: str, attempts: int) -> None:
        counters.dead_lettered += 1
        counters.last_errors.append(error if isinstance(error, str) else f"{type(error).__name__}: {error}")
        del counters.last_errors[:-20]
        started = time.monotonic()
        while True:
            try:
                await bus.dead_letter(record, error=error, stage=stage, attempts=attempts)
                log.info("message_dead_lettered", dlq=topics.dead_letter(record.topic), stage=stage)
                return
            except Exception as exc:
                if time.monotonic() - started > 60:
                    raise
                log.warning("dead_letter_retrying", error=repr(exc)[:500])
                await asyncio.sleep(1.0)

    return counters


# ---------------------------------------------------------------- topics


async def ensure_topics(settings: KafkaSettings, names: Iterable[str] = (), *, partitions: int = 3) -> None:
    """Create the pipeline topics and their dead-letter topics if missing (idempotent)."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import TopicAlreadyExistsError

    wanted = list(names) or [*topics.ALL, *(topics.dead_letter(t) for t in topics.ALL)]
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, client_id="paperverdict-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if missing:
            try:
                await admin.create_topics(
                    [NewTopic(name, num_partitions=partitions, replication_factor=1) for name in missing]
                )
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()
