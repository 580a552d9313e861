"""The arXiv client talks to arXiv hosts (and the configured mirror) only: https, no redirect elsewhere,
no scheme downgrade, capped responses."""

from __future__ import annotations

import httpx
import pytest

from services.ingestor.adapters import ArxivClient, DownloadTooLarge, ForbiddenUrl
from shared.settings import ArxivSettings


def client(handler, **settings) -> ArxivClient:  # type: ignore[no-untyped-def]
    config = ArxivSettings(request_interval_s=0, max_retries=0, **settings)
    return ArxivClient(config, http=httpx.AsyncClient(transport=httpx.MockTransport(handler)))


async def test_redirects_to_arxiv_hosts_are_followed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/e-print/2401.00001v1":
            return httpx.Response(301, headers={"Location": "https://export.arxiv.org/src/2401.00001v1"})
        return httpx.Response(200, content=b"eprint bytes")

    assert await client(handler).fetch_eprint("2401.00001", 1) == b"eprint bytes"


@pytest.mark.parametrize(
    "location",
    [
        "https://evil.example/payload",
        "http://arxiv.org/e-print/x",
        "http://169.254.169.254/latest/meta-data",
        "file:///etc/passwd",
    ],
)
async def test_redirects_elsewhere_or_to_plain_http_are_refused(location: str) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": location})

    with pytest.raises(ForbiddenUrl, match="refusing"):
        await client(handler).fetch_eprint("2401.00001", 1)
    assert seen == ["https://arxiv.org/e-print/2401.00001v1"]  # the forbidden target was never requested


async def test_redirect_loops_end() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "/again"})

    with pytest.raises(Exception, match="redirected more than 3 times"):
        await client(handler).fetch_eprint("2401.00001", 1)


def test_a_mirror_must_be_https_unless_it_is_this_machine() -> None:
    ArxivClient(ArxivSettings(base_url="http://127.0.0.1:8765", api_url="http://127.0.0.1:8765/api/query"))
    with pytest.raises(ForbiddenUrl, match="only https"):
        ArxivClient(ArxivSettings(base_url="http://mirror.example", allowed_hosts=["mirror.example"]))


async def test_responses_over_the_cap_are_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"x" * 5000)

    with pytest.raises(DownloadTooLarge):
        await client(handler, max_download_bytes=1000).fetch_eprint("2401.00001", 1)
