"""Consuming with at-least-once delivery: decoding at the boundary, retry-then-dead-letter, and
commit-after-output.

A handler registered with `consume` gets a validated pydantic message and returns its outputs. The
offset is committed only after the handler returned and every output it returned was acknowledged by
Kafka (acks=all, idempotent producer). A message that cannot be decoded goes to `<topic>.dlq` at once;
a handler that raises is retried with exponential backoff (transient errors) and then dead-lettered; a
`PermanentError` or `ValueError` (bad input, a refused gate) is dead-lettered at once. An
`UpstreamUnavailable` (arXiv or the Hub down) is not the message's fault: the partition is paused and
rewound to the message, which comes back after a backoff, until `PV_KAFKA_OUTAGE_HORIZON_S`
(shared/outage.py); the consumer keeps polling meanwhile, so it keeps its group membership. If even the
dead letter cannot be written, the partition is rewound (nack) so that nothing is lost silently.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.annotations import KafkaMessage
from pydantic import BaseModel, ValidationError

from shared import topics
from shared.bus import Bus, Outgoing, json_decoder
from shared.errors import PermanentError, UpstreamUnavailable
from shared.headers import HEADER_ARXIV_ID, HEADER_CLAIM_ID, HEADER_CORRELATION_ID, decode_headers, message_ids
from shared.logging import bind_message, get_logger
from shared.messages import TOPIC_MESSAGES
from shared.metrics import Metrics
from shared.outage import OutagePolicy, UpstreamWait, record_failure
from shared.settings import KafkaSettings

M = TypeVar("M", bound=BaseModel)
Handler = Callable[[M], Awaitable[Iterable[Outgoing] | None]]
log = get_logger("paperverdict.consumer")

# Bad input or a refused gate (GateViolation is a ValueError): retrying cannot help.
PERMANENT = (PermanentError, ValidationError, ValueError)
DEAD_LETTER_PATIENCE_S = 60.0


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
    busy_since: float | None = None  # time.monotonic() when the current message reached the handler
    # messages waiting for their upstream, by (topic, partition, offset)
    waits: dict[tuple[str, int, int], UpstreamWait] = field(default_factory=dict)

    def failed(self, error: BaseException | str) -> None:
        self.dead_lettered += 1
        self.last_errors.append(error if isinstance(error, str) else f"{type(error).__name__}: {error}")
        del self.last_errors[:-20]


@dataclass
class Delivery(Generic[M]):
    """What happens to one record of one subscription: size check, decode, handle, publish, or dead-letter."""

    bus: Bus
    decode: Callable[[bytes], M]
    handler: Handler[M]
    settings: KafkaSettings
    policy: RetryPolicy
    stats: ConsumerStats
    outage: OutagePolicy = field(default_factory=OutagePolicy)

    @property
    def metrics(self) -> Metrics:
        return self.bus.monitor.metrics

    async def process(self, record: Any, body: bytes, headers: dict[str, str]) -> float | None:
        """None when the record is done with (handled or dead-lettered); else the seconds to wait
        for its upstream before it is delivered again."""
        self.stats.busy_since = time.monotonic()
        in_flight = self.metrics.in_flight.labels(record.topic)
        in_flight.inc()
        try:
            return await self._process(record, body, headers)
        finally:
            in_flight.dec()
            self.stats.busy_since = None

    async def _process(self, record: Any, body: bytes, headers: dict[str, str]) -> float | None:
        decoded = await self.decoded(record, body)
        if decoded is None:
            return None
        arxiv_id, claim_id = message_ids(decoded)
        bind_message(
            topic=record.topic,
            correlation_id=getattr(decoded, "correlation_id", None) or headers.get(HEADER_CORRELATION_ID),
            arxiv_id=arxiv_id,
            claim_id=claim_id,
            partition=record.partition,
            offset=record.offset,
        )
        return await self.handle(record, decoded)

    async def decoded(self, record: Any, body: bytes) -> M | None:
        """The validated message, or None once the record has been dead-lettered as undecodable."""
        limit = self.settings.max_message_bytes
        if len(body) > limit:
            reason = (
                f"message of {len(body)} bytes exceeds the limit of {limit} bytes "
                "(PV_KAFKA_MAX_MESSAGE_BYTES); large artifacts belong in GridFS, referenced by sha256"
            )
            log.warning("message_rejected", reason=reason)
            await self.dead_letter(record, reason, "decode", 0)
            return None
        try:
            return self.decode(body)
        except PERMANENT as exc:
            log.warning("message_rejected", error=str(exc)[:2000])
            await self.dead_letter(record, exc, "decode", 0)
            return None

    async def handle(self, record: Any, decoded: M) -> float | None:
        """Run the handler and publish its outputs, retrying transient failures. Outputs the broker
        has acknowledged are never republished by a retry. An unavailable upstream returns the
        seconds to wait before the message comes again (`process`)."""
        key = (record.topic, record.partition, record.offset)
        pending: list[tuple[Outgoing, bytes]] | None = None
        sent = 0
        for attempt in range(1, self.policy.attempts + 1):
            try:
                if pending is None:
                    outputs = await self.handler(decoded) or []
                    pending = Bus.encode_all(outputs, self.settings.max_message_bytes)
                for out, payload in pending[sent:]:
                    await self.bus.publish(out.topic, out.message, key=out.key, payload=payload)
                    sent += 1
                    if out.after_sent is not None:
                        await out.after_sent()
                self.stats.handled += 1
                self.metrics.handled.labels(record.topic).inc()
                self._upstream_back(key)
                return None
            except asyncio.CancelledError:
                raise
            except PERMANENT as exc:
                log.warning("message_failed_permanently", error=str(exc)[:2000], attempt=attempt)
                await self.dead_letter(record, exc, "handle", attempt)
                self.stats.waits.pop(key, None)
                return None
            except UpstreamUnavailable as exc:  # raised by the handler, before any output was sent
                return await self._wait_for_upstream(record, key, exc)
            except Exception as exc:  # noqa: BLE001 - anything else is retried, then dead-lettered
                if attempt >= self.policy.attempts:
                    log.error("message_failed_after_retries", error=repr(exc)[:2000], attempts=attempt)
                    await self.dead_letter(record, exc, "handle", attempt)
                    self.stats.waits.pop(key, None)
                    return None
                self.stats.retried += 1
                self.metrics.retried.labels(record.topic).inc()
                delay = self.policy.delay(attempt)
                log.warning("message_retrying", error=repr(exc)[:500], attempt=attempt, delay_s=delay)
                await asyncio.sleep(delay)
        return None

    async def _wait_for_upstream(
        self, record: Any, key: tuple[str, int, int], exc: UpstreamUnavailable
    ) -> float | None:
        now = time.time()
        current = self.stats.waits.get(key)
        if current is not None and current.past_horizon(self.outage, now):
            log.error("upstream_outage_past_horizon", service=exc.service, tries=current.tries, error=str(exc)[:500])
            self.stats.waits.pop(key, None)
            horizon = f"{self.outage.horizon_s:g} s (PV_KAFKA_OUTAGE_HORIZON_S)"
            await self.dead_letter(
                record, f"{exc.service} unavailable for {horizon}: {exc}", "handle", current.tries + 1
            )
            return None
        wait, delay = record_failure(current, exc.service, str(exc), exc.retry_after_s, self.outage, now)
        self.stats.waits[key] = wait
        self.stats.retried += 1
        self.metrics.retried.labels(record.topic).inc()
        log.warning(
            "upstream_unavailable_waiting",
            service=exc.service,
            error=str(exc)[:500],
            tries=wait.tries,
            delay_s=round(delay, 2),
            retry_after_s=exc.retry_after_s,
        )
        return delay

    def _upstream_back(self, key: tuple[str, int, int]) -> None:
        wait = self.stats.waits.pop(key, None)
        if wait is not None:
            log.info(
                "upstream_back", service=wait.service, tries=wait.tries, waited_s=round(time.time() - wait.since, 1)
            )

    async def dead_letter(self, record: Any, error: BaseException | str, stage: str, attempts: int) -> None:
        """Write the dead letter, retrying for a minute; past that, raise (the caller rewinds)."""
        self.stats.failed(error)
        self.metrics.dead_letters.labels(record.topic).inc()
        started = time.monotonic()
        while True:
            try:
                await self.bus.dead_letter(record, error=error, stage=stage, attempts=attempts)
                log.info("message_dead_lettered", dlq=topics.dead_letter(record.topic), stage=stage)
                return
            except Exception as exc:
                if time.monotonic() - started > DEAD_LETTER_PATIENCE_S:
                    raise
                log.warning("dead_letter_retrying", error=repr(exc)[:500])
                await asyncio.sleep(1.0)


def _come_back_later(consumer: Any, record: Any, delay_s: float) -> None:
    """Pause the record's partition for `delay_s`. The consumer goes on polling (its other partitions,
    or nothing), so it stays in its group however long the outage lasts; a rebalance meanwhile
    simply delivers the message again, and the wait goes on from its recorded state."""
    from aiokafka import TopicPartition

    tp = TopicPartition(record.topic, record.partition)
    consumer.pause(tp)

    def resume() -> None:
        try:
            if tp in consumer.assignment():
                consumer.resume(tp)
        except Exception as exc:  # noqa: BLE001 - revoked meanwhile: the new owner starts unpaused
            log.info("partition_resume_skipped", partition=record.partition, error=repr(exc)[:200])

    asyncio.get_running_loop().call_later(delay_s, resume)


async def _raw_body(message: Any) -> bytes:
    # Decoding happens in `Delivery`, where a failure can be dead-lettered with the original bytes.
    body: bytes = message.body
    return body


def consume(
    registrar: KafkaBroker | KafkaRouter,
    topic: str,
    *,
    bus: Bus,
    group_id: str,
    handler: Handler[M],
    settings: KafkaSettings,
    decode: Callable[[bytes], M] | None = None,
    description: str = "",
    max_poll_interval_ms: int | None = None,
    retry: RetryPolicy | None = None,
    stats: ConsumerStats | None = None,
    outage: OutagePolicy | None = None,
) -> ConsumerStats:
    """Subscribe `handler` to `topic` with at-least-once delivery (see the module docstring). The
    payload is decoded with `decode`, by default as the JSON of the topic's message type."""
    counters = stats or ConsumerStats()
    delivery: Delivery[M] = Delivery(
        bus=bus,
        decode=decode or json_decoder(TOPIC_MESSAGES[topic]),  # type: ignore[arg-type]
        handler=handler,
        settings=settings,
        policy=retry or RetryPolicy.from_settings(settings),
        stats=counters,
        outage=outage
        or OutagePolicy(settings.outage_horizon_s, settings.outage_backoff_s, settings.outage_max_backoff_s),
    )
    poll_interval = max_poll_interval_ms or 300_000

    subscriber = registrar.subscriber(
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
            later = await delivery.process(record, body, headers)
        except BaseException:
            # Not even the dead letter could be written (or we are being cancelled): rewind so the
            # message is delivered again instead of being skipped by the next commit.
            await message.nack()
            raise
        if later is not None:
            _come_back_later(message.consumer, record, later)
            await message.nack()  # rewinds the paused partition to this message
            return
        await message.ack()

    subscriber(on_message)
    bus.monitor.watch(topic, group_id, subscriber, counters, max_busy_s=poll_interval / 1000)
    return counters
