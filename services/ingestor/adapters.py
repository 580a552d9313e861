"""arXiv over HTTP: Atom metadata, e-print source, HTML and PDF renderings; and the ingestor's own
record of the paper versions it has ingested (MongoDB `ingestions`).

One request at a time, at least `request_interval_s` apart (arXiv asks for one every 3 s); 429 and
5xx answers, timeouts and connection errors are retried here a few times (`max_retries`, honouring a
short `Retry-After`), then raised as `ArxivUnavailable`, an `UpstreamUnavailable`: the consumer waits the
outage out with the partition paused (shared/outage.py) instead of dead-lettering the request.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from services.ingestor.atom import ArxivApiError, AtomEntry, parse_atom
from shared.clock import bson_time
from shared.errors import PermanentError, UpstreamUnavailable
from shared.ids import ArxivId
from shared.logging import get_logger
from shared.messages import PaperIngested
from shared.settings import ArxivSettings

log = get_logger("paperverdict.ingestor.arxiv")

# a longer Retry-After is not slept through here, with the message held: the consumer pauses instead
MAX_RETRY_AFTER_S = 10.0


class ArxivUnavailable(UpstreamUnavailable):
    """arXiv kept answering 429/5xx (or could not be reached, or timed out) after the client's retries."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__("arXiv", message, retry_after_s)


def _retry_here(exc: BaseException) -> bool:
    if isinstance(exc, httpx.TransportError):
        return True
    return isinstance(exc, ArxivUnavailable) and (exc.retry_after_s or 0.0) <= MAX_RETRY_AFTER_S


class UnknownPaper(PermanentError):
    """arXiv has no such paper (its API answered with the "Error" entry)."""


class DownloadTooLarge(PermanentError):
    pass


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class ForbiddenUrl(PermanentError):
    pass


LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def check_url(url: httpx.URL, allowed_hosts: set[str]) -> None:
    """Only allowed hosts, and https unless the host is this machine (a local arXiv mirror)."""
    host = (url.host or "").lower()
    if host not in allowed_hosts:
        raise ForbiddenUrl(f"refusing {url}: host {host!r} is not an arXiv host (PV_ARXIV_ALLOWED_HOSTS)")
    if url.scheme != "https" and not (url.scheme == "http" and host in LOOPBACK):
        raise ForbiddenUrl(f"refusing {url}: only https is allowed for {host!r}")


class ArxivClient:
    """Reads arXiv (or the local arXiv-compatible server) through one shared httpx client."""

    def __init__(self, settings: ArxivSettings, http: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self._http = http or httpx.AsyncClient(
            timeout=settings.timeout_s,
            follow_redirects=False,  # redirects are followed by hand, to allowed hosts only
            headers={"User-Agent": settings.user_agent},
        )
        self.allowed_hosts = {h.lower() for h in settings.allowed_hosts} | {
            (httpx.URL(u).host or "").lower() for u in (settings.base_url, settings.api_url)
        }
        for configured in (settings.base_url, settings.api_url):
            check_url(httpx.URL(configured), self.allowed_hosts)
        self._lock = asyncio.Lock()
        self._last_request = 0.0
        self.requests_made = 0

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------ public API

    async def fetch_metadata(self, arxiv_id: ArxivId) -> AtomEntry:
        body = await self._get(self.settings.api_url, params={"id_list": arxiv_id.base, "max_results": "1"})
        if body is None:
            raise UnknownPaper(f"arXiv has no paper {arxiv_id.base!r}: the API answered 404")
        try:
            return parse_atom(body, arxiv_id.base)
        except ArxivApiError as exc:
            raise UnknownPaper(str(exc)) from exc

    def eprint_url(self, arxiv_id: str, version: int) -> str:
        return f"{self.settings.base_url.rstrip('/')}/e-print/{arxiv_id}v{version}"

    def html_url(self, arxiv_id: str, version: int) -> str:
        return f"{self.settings.base_url.rstrip('/')}/html/{arxiv_id}v{version}"

    def pdf_url(self, arxiv_id: str, version: int) -> str:
        return f"{self.settings.base_url.rstrip('/')}/pdf/{arxiv_id}v{version}"

    async def fetch_eprint(self, arxiv_id: str, version: int) -> bytes | None:
        return await self._get(self.eprint_url(arxiv_id, version))

    async def fetch_html(self, arxiv_id: str, version: int) -> bytes | None:
        return await self._get(self.html_url(arxiv_id, version))

    async def fetch_pdf(self, arxiv_id: str, version: int) -> bytes | None:
        return await self._get(self.pdf_url(arxiv_id, version))

    # ------------------------------------------------------------ plumbing

    async def _get(self, url: str, params: dict[str, str] | None = None) -> bytes | None:
        """GET with rate limit and retries; None on 404 (not offered), bytes on 200."""

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            hinted = getattr(exc, "retry_after_s", None)
            if hinted is not None:
                return min(MAX_RETRY_AFTER_S, hinted)
            return min(30.0, 0.5 * 2 ** (state.attempt_number - 1))

        retrying = AsyncRetrying(
            retry=retry_if_exception(_retry_here),
            stop=stop_after_attempt(self.settings.max_retries + 1),
            wait=wait,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._get_once(url, params)
        except httpx.TransportError as exc:
            raise ArxivUnavailable(f"arXiv at {url} could not be reached: {exc!r}") from exc
        return None  # unreachable: AsyncRetrying either returns or raises

    async def _get_once(self, url: str, params: dict[str, str] | None) -> bytes | None:
        async with self._lock:
            pause = self._last_request + self.settings.request_interval_s - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            try:
                return await self._download(url, params)
            finally:
                self._last_request = time.monotonic()
                self.requests_made += 1

    async def _download(self, url: str, params: dict[str, str] | None) -> bytes | None:
        target = httpx.URL(url, params=params)
        for _ in range(self.settings.max_redirects + 1):
            check_url(target, self.allowed_hosts)
            async with self._http.stream("GET", target) as response:
                if not response.is_redirect:
                    return await self._body(str(target), response)
                location = response.headers.get("Location", "")
                target = response.url.join(location)
                log.info("arxiv_redirect", url=str(response.url), to=str(target))
        raise PermanentError(f"{url} redirected more than {self.settings.max_redirects} times")

    async def _body(self, url: str, response: httpx.Response) -> bytes | None:
        limit = self.settings.max_download_bytes
        if response.status_code == 404:
            return None
        if response.status_code == 429 or response.status_code >= 500:
            hint = _retry_after(response)
            log.warning("arxiv_retrying", url=url, status=response.status_code, retry_after_s=hint)
            raise ArxivUnavailable(f"arXiv answered {response.status_code} for {url}", hint)
        if response.status_code >= 400:
            raise PermanentError(f"arXiv answered {response.status_code} for {url}")
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise DownloadTooLarge(
                f"{url} is {declared} bytes, over the limit of {limit} (PV_ARXIV_MAX_DOWNLOAD_BYTES)"
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise DownloadTooLarge(f"{url} exceeds the limit of {limit} bytes (PV_ARXIV_MAX_DOWNLOAD_BYTES)")
            chunks.append(chunk)
        return b"".join(chunks)


INGESTIONS_COLLECTION = "ingestions"


class MongoIngestionLog:
    """Which (arXiv ID, version) pairs this ingestor has ingested and announced.

    The ingestor's own bookkeeping (only the publisher writes the read model `papers`/`verdicts`):
    one document per paper version, `_id` = "<arxiv id>v<version>", so lookups go by `_id`.
    """

    def __init__(self, db: Any) -> None:
        self.collection = db[INGESTIONS_COLLECTION]

    @staticmethod
    def key(arxiv_id: str, version: int) -> str:
        return f"{arxiv_id}v{version}"

    async def seen(self, arxiv_id: str, version: int) -> bool:
        return await self.collection.find_one({"_id": self.key(arxiv_id, version)}, projection={"_id": 1}) is not None

    async def record(self, ingested: PaperIngested) -> None:
        now = datetime.now(UTC)
        await self.collection.update_one(
            {"_id": self.key(ingested.paper.arxiv_id, ingested.version.version)},
            {
                "$set": {
                    "arxiv_id": ingested.paper.arxiv_id,
                    "version": ingested.version.version,
                    "paper_version_id": ingested.version.id,
                    "correlation_id": ingested.correlation_id,
                    "artifacts": [a.sha256 for a in ingested.artifacts],
                    "ingested_at": bson_time(now),
                }
            },
            upsert=True,
        )
