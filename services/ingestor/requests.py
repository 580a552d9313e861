"""What users write to the ingest topic: a JSON `IngestPaper` object or a bare arXiv ID."""

from __future__ import annotations

from pydantic import ValidationError

from shared.errors import MessageRejected
from shared.ids import InvalidArxivId, parse_arxiv_id
from shared.messages import IngestPaper


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
