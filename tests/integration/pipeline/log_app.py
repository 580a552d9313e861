"""A minimal service wired like ours (configure_logging, make_broker, consume) for the logging test:
`faststream run tests.integration.pipeline.log_app:app` with PV_LOGTEST_TOPIC naming its topic."""

from __future__ import annotations

import os

from faststream import FastStream

from shared.bus import Bus, Outgoing, json_decoder, make_broker
from shared.consumer import consume
from shared.logging import configure_logging, get_logger
from shared.messages import IngestPaper
from shared.settings import KafkaSettings

configure_logging()
log = get_logger("paperverdict.logtest")
settings = KafkaSettings()
broker = make_broker(settings, service="logtest", graceful_timeout=5.0)
bus = Bus(broker, service="logtest")


async def handle(request: IngestPaper) -> list[Outgoing]:
    log.info("request_handled", requested_by=request.requested_by)
    return []


consume(
    broker,
    os.environ["PV_LOGTEST_TOPIC"],
    bus=bus,
    group_id=os.environ["PV_LOGTEST_TOPIC"],
    decode=json_decoder(IngestPaper),
    handler=handle,
    settings=settings,
)
app = FastStream(broker)
