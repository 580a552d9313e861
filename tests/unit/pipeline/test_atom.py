"""Parsing arXiv's Atom API: a real-shaped entry, the "Error" entry, withdrawn papers, formats."""

from __future__ import annotations

import gzip
import io
import tarfile
from datetime import UTC, datetime

import pytest

from services.ingestor.atom import ArxivApiError, AtomError, detect_source_format, parse_atom

ENTRY = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"
      xmlns:arxiv="http://arxiv.org/schemas/atom">
  <opensearch:totalResults>1</opensearch:totalResults>
  <entry>
    <id>http://arxiv.org/abs/2502.02737v2</id>
    <updated>2025-02-05T10:00:00Z</updated>
    <published>2025-02-04T18:04:36Z</published>
    <title>SmolLM2: When Smol Goes Big --
      Data-Centric Training of a Small Language Model</title>
    <summary>  Large Language Models (LLMs) have come to dominate
      machine learning.</summary>
    <author><name>Loubna Ben Allal</name></author>
    <author><name>Anton Lozhkov</name></author>
    <arxiv:comment>27 pages</arxiv:comment>
    <arxiv:journal_ref>COLM 2025</arxiv:journal_ref>
    <link href="http://arxiv.org/abs/2502.02737v2" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/2502.02737v2" rel="related" type="application/pdf"/>
    <arxiv:primary_category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
</feed>"""

ERROR = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <entry>
    <id>http://arxiv.org/api/errors#incorrect_id_format_for_2502.0273</id>
    <title>Error</title>
    <summary>incorrect id format for 2502.0273</summary>
    <updated>2025-02-05T00:00:00-05:00</updated>
    <author><name>arXiv api core</name></author>
  </entry>
</feed>"""


def test_entry_is_parsed_with_whitespace_collapsed() -> None:
    entry = parse_atom(ENTRY, "2502.02737")
    assert entry.arxiv_id == "2502.02737" and entry.latest_version == 2
    assert entry.title == "SmolLM2: When Smol Goes Big -- Data-Centric Training of a Small Language Model"
    assert entry.abstract == "Large Language Models (LLMs) have come to dominate machine learning."
    assert entry.authors == ["Loubna Ben Allal", "Anton Lozhkov"]
    assert entry.primary_category == "cs.CL" and entry.journal_ref == "COLM 2025"
    assert entry.published_at == datetime(2025, 2, 4, 18, 4, 36, tzinfo=UTC)
    assert entry.links["pdf"] == "http://arxiv.org/pdf/2502.02737v2"
    assert not entry.withdrawn


def test_error_entry_is_an_unknown_paper() -> None:
    with pytest.raises(ArxivApiError, match="incorrect id format for 2502.0273"):
        parse_atom(ERROR, "2502.0273")


def test_empty_feed_is_an_unknown_paper() -> None:
    with pytest.raises(ArxivApiError, match="no entry"):
        parse_atom(b'<feed xmlns="http://www.w3.org/2005/Atom"></feed>', "2611.00001")


def test_not_xml() -> None:
    with pytest.raises(AtomError):
        parse_atom(b"<html>oops", "2611.00001")


def test_withdrawn_comment() -> None:
    xml = ENTRY.replace(b"27 pages", b"This paper has been withdrawn by the author due to an error")
    assert parse_atom(xml, "2502.02737").withdrawn


def _tar_gz() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        data = b"\\documentclass{article}"
        info = tarfile.TarInfo("main.tex")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (None, "none"),
        (b"", "none"),
        (gzip.compress(b"\\documentclass{article}", mtime=0), "tex"),  # no timestamp: workers collect alike
        (b"\\documentclass{article}", "tex"),
        (b"%PDF-1.5 ...", "pdf"),
        (gzip.compress(b"%PDF-1.5 ...", mtime=0), "pdf"),
    ],
)
def test_source_formats(payload: bytes | None, expected: str) -> None:
    assert detect_source_format(payload) == expected


def test_tar_gz_source() -> None:
    assert detect_source_format(_tar_gz()) == "tar"
