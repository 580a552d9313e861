"""The ingest topic's boundary: JSON objects or bare arXiv IDs as text, never floats."""

from __future__ import annotations

import pytest

from services.ingestor.requests import decode_ingest_request
from shared.errors import MessageRejected
from shared.ids import InvalidArxivId, parse_arxiv_id


def test_bare_id_that_looks_like_a_float_stays_text() -> None:
    assert decode_ingest_request(b"2502.02730").arxiv_id == "2502.02730"
    assert decode_ingest_request(b"  2502.02730v2\n").arxiv_id == "2502.02730v2"


def test_quoted_json_string_is_read_as_text() -> None:
    assert decode_ingest_request(b'"2502.02730"').arxiv_id == "2502.02730"


def test_json_object() -> None:
    request = decode_ingest_request(b'{"arxiv_id": "hep-th/9901001", "force": true, "correlation_id": "c1"}')
    assert (request.arxiv_id, request.force, request.correlation_id) == ("hep-th/9901001", True, "c1")


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"2502.0273", "'2502.0273' is malformed"),
        (b"2502.02730.1", "is malformed"),
        (b"", "empty"),
        (b"\xff\xfe", "not UTF-8"),
        (b'{"arxiv_id": 2502.0273}', "not a valid IngestPaper"),
        (b'{"arxiv_id": "2502.02730"', "not a valid IngestPaper"),
        (b'{"force": true}', "not a valid IngestPaper"),
    ],
)
def test_rejections_say_what_was_wrong(raw: bytes, fragment: str) -> None:
    with pytest.raises(MessageRejected, match=fragment):
        decode_ingest_request(raw)


@pytest.mark.parametrize(
    ("text", "base", "version"),
    [
        ("2502.02737", "2502.02737", None),
        ("2502.02737v3", "2502.02737", 3),
        ("0704.0001", "0704.0001", None),
        ("hep-th/9901001", "hep-th/9901001", None),
        ("math.GT/0309136v2", "math.GT/0309136", 2),
        ("arXiv:2502.02737", "2502.02737", None),
    ],
)
def test_valid_ids(text: str, base: str, version: int | None) -> None:
    parsed = parse_arxiv_id(text)
    assert (parsed.base, parsed.version) == (base, version)


@pytest.mark.parametrize("text", ["2502.0273", "1412.12345", "2513.00001", "hep-th/99010", "2502.02737v0", "abc"])
def test_invalid_ids(text: str) -> None:
    with pytest.raises(InvalidArxivId, match="expected YYMM.NNNNN"):
        parse_arxiv_id(text)
