"""Kafka header conventions: every pipeline message carries its type, schema version, correlation id
and, where it has them, the arXiv ID and claim id (for log context and for consumers that route on
headers without decoding the body)."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel

from shared.messages import Message

# FastStream itself writes `correlation_id`.
HEADER_CORRELATION_ID = "correlation_id"
HEADER_SCHEMA_VERSION = "schema_version"
HEADER_MESSAGE_TYPE = "message_type"
HEADER_ARXIV_ID = "arxiv_id"
HEADER_CLAIM_ID = "claim_id"
HEADER_ERROR = "x-dead-letter-error"


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
