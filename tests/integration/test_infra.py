"""The local Kafka and FerretDB do what the services rely on: round trips, unique indexes, GridFS."""

from __future__ import annotations

import asyncio
import io
import os
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from gridfs import GridFSBucket
from motor.motor_asyncio import AsyncIOMotorDatabase, AsyncIOMotorGridFSBucket
from pymongo import MongoClient
from pymongo.errors import DuplicateKeyError

pytestmark = pytest.mark.integration


def test_services_env_is_exported(kafka_bootstrap: str, mongo_url: str) -> None:
    assert os.environ["PV_KAFKA_BOOTSTRAP_SERVERS"] == kafka_bootstrap
    assert kafka_bootstrap.startswith("127.0.0.1:")
    assert os.environ["PV_MONGO_URL"] == mongo_url
    assert mongo_url.startswith("mongodb://127.0.0.1:")


async def test_kafka_round_trip_on_an_auto_created_topic(kafka_bootstrap: str) -> None:
    topic = f"pvtest.infra.{uuid.uuid4().hex[:12]}"
    sent = [(f"key-{i}".encode(), f'{{"n": {i}}}'.encode()) for i in range(5)]

    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for key, value in sent:
            await producer.send_and_wait(topic, value, key=key, headers=[("correlation_id", b"c-1")])
        partitions = await producer.partitions_for(topic)
    finally:
        await producer.stop()
    assert partitions == {0, 1, 2}  # num.partitions=3 from server.properties

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=f"pvtest-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        received = []
        async with asyncio.timeout(30):
            while len(received) < len(sent):
                received.append(await consumer.getone())
        await consumer.commit()
    finally:
        await consumer.stop()

    assert sorted((m.key, m.value) for m in received) == sorted(sent)
    assert all(dict(m.headers)["correlation_id"] == b"c-1" for m in received)


async def test_mongo_insert_find_and_unique_index(mongo_db: AsyncIOMotorDatabase) -> None:
    papers = mongo_db["papers"]
    await papers.create_index("arxiv_id", unique=True)
    await papers.insert_one({"arxiv_id": "2502.02730", "title": "A paper", "claims": [{"value": 81.2}]})

    found = await papers.find_one({"arxiv_id": "2502.02730"}, {"_id": 0})
    assert found == {"arxiv_id": "2502.02730", "title": "A paper", "claims": [{"value": 81.2}]}

    with pytest.raises(DuplicateKeyError):
        await papers.insert_one({"arxiv_id": "2502.02730", "title": "the same paper again"})
    assert await papers.count_documents({}) == 1

    result = await papers.update_one({"arxiv_id": "2502.02730"}, {"$set": {"verdict": "confirmed"}})
    assert result.modified_count == 1
    assert (await papers.find_one({"arxiv_id": "2502.02730"}))["verdict"] == "confirmed"


async def test_gridfs_round_trip_with_motor(mongo_db: AsyncIOMotorDatabase) -> None:
    data = os.urandom(600_000)  # several 255 KiB chunks
    bucket = AsyncIOMotorGridFSBucket(mongo_db)
    file_id = await bucket.upload_from_stream("2502.02730v1.pdf", data, metadata={"arxiv_id": "2502.02730"})

    stream = await bucket.open_download_stream(file_id)
    assert await stream.read() == data
    assert stream.metadata == {"arxiv_id": "2502.02730"}
    assert await mongo_db["fs.chunks"].count_documents({"files_id": file_id}) == 3


def test_gridfs_round_trip_with_pymongo(mongo_url: str, mongo_db_name: str) -> None:
    data = b"%PDF-1.7\n" + bytes(range(256)) * 2000
    with MongoClient(mongo_url, serverSelectionTimeoutMS=5000) as client:
        bucket = GridFSBucket(client[mongo_db_name], bucket_name="sources")
        file_id = bucket.upload_from_stream("source.tar.gz", io.BytesIO(data))
        out = io.BytesIO()
        bucket.download_to_stream_by_name("source.tar.gz", out)
        assert out.getvalue() == data
        bucket.delete(file_id)
        assert client[mongo_db_name]["sources.files"].count_documents({}) == 0
