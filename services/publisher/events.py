"""Reading `verdicts.published` back: is a verdict's event already on the topic?

The publisher marks a verdict announced once the broker acknowledged its event. A publisher killed
between that acknowledgement and the mark would, on the replay, announce the verdict a second time.
On that replay (a verdict written before whose mark is missing) the handler asks this adapter first:
it reads every partition of the topic from the offsets of the verdict's recording time (minus a
margin for clock skew) to their current ends, and says whether an event of this verdict is there. The
common path (a verdict written now) never reads the topic.
"""

from __future__ import annotations

import json
import time
from datetime import datetime

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError

from shared import topics
from shared.admin import topic_partitions
from shared.logging import get_logger
from shared.settings import KafkaSettings

log = get_logger("paperverdict.publisher")


class PublishedEvents:
    def __init__(
        self, settings: KafkaSettings, topic: str = topics.VERDICTS_PUBLISHED, timeout_s: float = 60.0
    ) -> None:
        self.settings = settings
        self.topic = topic
        self.timeout_s = timeout_s

    async def contains(self, verdict_id: str, since: datetime) -> bool | None:
        """Whether an event for `verdict_id` was written to the topic at or after `since`; None when the
        topic could not be read to its end (an error, or over `timeout_s`: a replay long after the
        verdict was written, over a large topic). The caller then announces again: at least once."""
        try:
            return await self._contains(verdict_id, since)
        except (KafkaError, OSError, TimeoutError) as error:
            log.warning("published_events_unreadable", topic=self.topic, error=repr(error)[:500])
            return None

    async def _contains(self, verdict_id: str, since: datetime) -> bool:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.bootstrap_servers,
            client_id="paperverdict-publisher-events",
            enable_auto_commit=False,
            group_id=None,
            max_partition_fetch_bytes=max(self.settings.max_message_bytes * 2, 1_048_576),
        )
        await consumer.start()
        try:
            return await self._scan(consumer, verdict_id, int(since.timestamp() * 1000))
        finally:
            await consumer.stop()

    async def _scan(self, consumer: AIOKafkaConsumer, verdict_id: str, since_ms: int) -> bool:
        deadline = time.monotonic() + self.timeout_s
        partitions = await topic_partitions(consumer, self.topic)
        if not partitions:
            return False
        consumer.assign(partitions)
        starts = await consumer.offsets_for_times({tp: since_ms for tp in partitions})
        ends = await consumer.end_offsets(partitions)
        left = {}
        for tp in partitions:
            found = starts.get(tp)
            start = found.offset if found is not None else ends[tp]  # nothing written since: nothing to read
            if start < ends[tp]:
                consumer.seek(tp, start)
                left[tp] = ends[tp]
        needle = verdict_id.encode("utf-8")
        while left:
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {self.topic} back took over {self.timeout_s:g} s")
            batches = await consumer.getmany(*left, timeout_ms=1000, max_records=2000)
            for tp, records in batches.items():
                for record in records:
                    if record.offset >= left.get(tp, 0):
                        break
                    if record.value and needle in record.value and _verdict_id(record.value) == verdict_id:
                        return True
            for tp in list(left):
                if await consumer.position(tp) >= left[tp]:  # read to the end it had when the scan began
                    del left[tp]
        return False


def _verdict_id(value: bytes) -> str | None:
    try:
        verdict = json.loads(value).get("verdict") or {}
    except (ValueError, AttributeError):
        return None
    return verdict.get("id") if isinstance(verdict, dict) else None
