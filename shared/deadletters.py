"""Dead letters: what `<topic>.dlq` carries (where a message came from, why it failed, its bytes and
headers), built from the consumer record that failed."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from shared.headers import HEADER_ARXIV_ID, HEADER_CLAIM_ID, HEADER_CORRELATION_ID, HEADER_ERROR, decode_headers

# Dead letters keep at most this much of the original payload (base64 grows it by a third and the
# dead letter must itself fit under the broker's message size limit).
DLQ_MAX_ORIGINAL_BYTES = 256_000


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


def letter_for(
    record: Any, *, service: str, error: BaseException | str, stage: str, attempts: int
) -> tuple[DeadLetter, dict[str, str]]:
    """The dead letter of a consumer record and the headers it is sent with (the ids of the original
    and the error, so that a DLQ can be read without decoding bodies)."""
    original: bytes = record.value or b""
    headers = decode_headers(record.headers)
    error_text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    letter = DeadLetter(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=record.key.decode("utf-8", "replace") if isinstance(record.key, bytes) else record.key,
        service=service,
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
    kept = (HEADER_CORRELATION_ID, HEADER_ARXIV_ID, HEADER_CLAIM_ID)
    out_headers = {k: v for k, v in headers.items() if k in kept}
    out_headers.update({HEADER_ERROR: error_text[:500], "content-type": "application/json"})
    return letter, out_headers
