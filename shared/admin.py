"""Creating the pipeline's topics (and their dead-letter topics) before the services start."""

from __future__ import annotations

from collections.abc import Iterable

from shared import topics
from shared.settings import KafkaSettings


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
