"""Creating the pipeline's topics (and their dead-letter topics) before the services start, and listing
a topic's partitions for the clients that read a topic back."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from shared import topics
from shared.settings import KafkaSettings

if TYPE_CHECKING:
    from aiokafka import AIOKafkaConsumer, TopicPartition


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


async def topic_partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    """The partitions of `topic`, from a started consumer's metadata (none when the topic does not exist)."""
    from aiokafka import TopicPartition

    parts = consumer.partitions_for_topic(topic)
    if parts is None:  # metadata for a topic this client has not asked about yet
        await consumer._client.force_metadata_update()
        parts = consumer.partitions_for_topic(topic)
    return [TopicPartition(topic, p) for p in sorted(parts or ())]
