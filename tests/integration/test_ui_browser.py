"""The web page in headless Chromium (Debian's `chromium`), served by uvicorn over real FerretDB.

Saves the screenshots to test-artifacts/ui.png (a paper) and test-artifacts/ui-list.png (the list)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.api.render import STATUS_COLOURS
from tests.integration.verdict_data import publish_sample

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium")  # found as deploy/install.sh finds it: on PATH
ARTIFACT = ROOT / "test-artifacts" / "ui.png"
LIST_ARTIFACT = ROOT / "test-artifacts" / "ui-list.png"
FOLD = 900  # the screenshot's viewport height: what a reviewer sees before scrolling

pytestmark = [
    pytest.mark.browser,
    # a skip fails the run (tests/skip_policy.py): `make test` installs chromium, so its absence is a fault
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not on PATH: run deploy/install.sh (as root)"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def api_server(mongo_url: str, mongo_db_name: str) -> Iterator[str]:
    """`uvicorn services.api.app:app` as users run it, reading the test's database."""
    port = _free_port()
    env = {**os.environ, "PV_MONGO_URL": mongo_url, "PV_MONGO_DATABASE": mongo_db_name}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "services.api.app:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                out = server.stdout.read().decode() if server.stdout else ""
                pytest.fail(f"uvicorn did not start: {out[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    profile = tempfile.mkdtemp(prefix="pv-chromium-")
    try:
        return subprocess.run(
            [
                str(CHROMIUM),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def _png_pixels(path: Path) -> tuple[int, int, dict[tuple[int, int, int], int]]:
    """Width, height and the colours of an 8-bit RGB(A) PNG (what Chromium writes), each with the first
    row (y) it is painted on."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, chunks, header = 8, [], b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, colour_type = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour_type in (2, 6), f"unexpected PNG format {depth}/{colour_type}"
    bpp = 3 if colour_type == 2 else 4
    raw, stride, prev = zlib.decompress(b"".join(chunks)), width * bpp, bytearray(width * bpp)
    colours: dict[tuple[int, int, int], int] = {}
    for y in range(height):
        filt, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if filt == 1:
                line[i] = (line[i] + a) & 255
            elif filt == 2:
                line[i] = (line[i] + b) & 255
            elif filt == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif filt == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        for x in range(0, stride, bpp):
            colours.setdefault((line[x], line[x + 1], line[x + 2]), y)
        prev = line
    return width, height, colours


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def _console_messages(run: subprocess.CompletedProcess[str]) -> list[str]:
    """What the page wrote to the console (script errors included), from `--enable-logging=stderr`."""
    return [line for line in run.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


async def test_paper_page_in_chromium(mongo_db, api_server: str) -> None:  # type: ignore[no-untyped-def]
    published = await publish_sample(mongo_db)
    url = f"{api_server}/ui/papers/2502.02737"

    dom = _chromium("--enable-logging=stderr", "--v=0", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert _console_messages(dom) == []
    html = dom.stdout
    assert f'data-claim-id="{published.wrong.claim_id}" data-status="wrong"' in html
    assert f'data-claim-id="{published.confirmed.claim_id}" data-status="confirmed"' in html
    assert "“50.8”" in html and "45.50" in html  # cited cell beside the measured value
    assert "MMLU 5-shot" in html and "p. 8" in html
    assert "planned: mmlu, 5-shot, acc" in html  # the PRE column beside a finished POST
    # the summary: the status mix and the headline's reason, before the plot and the claims
    assert '<p class="summary" id="mix" data-mix="1 wrong, 1 confirmed">' in html
    assert "Comparison: measured 45.5 vs printed 50.8" in html
    assert html.index('id="mix"') < html.index('id="plot"') < html.index('class="claims"')
    # the plot: one mark per measured claim, each linking to that claim's card on the page
    marks = re.findall(r'<a class="mark" href="#claim-([^"]+)" data-claim-id="([^"]+)" data-status="(\w+)"', html)
    assert sorted(marks) == sorted(
        [
            (published.wrong.claim_id, published.wrong.claim_id, "wrong"),
            (published.confirmed.claim_id, published.confirmed.claim_id, "confirmed"),
        ]
    )
    assert all(f'<tr class="claim" id="claim-{claim_id}"' in html for claim_id, _, _ in marks)

    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.unlink(missing_ok=True)
    shot = _chromium(f"--window-size=1280,{FOLD}", f"--screenshot={ARTIFACT}", url)
    assert shot.returncode == 0 and ARTIFACT.exists(), shot.stderr[-2000:]
    width, height, colours = _png_pixels(ARTIFACT)
    assert (width, height) == (1280, FOLD)
    # The summary's colour-coded badges are painted near the top, well above the fold (the claim
    # cards' badges come after the plot); the plot's marks are painted in the viewport too.
    assert colours[_rgb(STATUS_COLOURS["wrong"])] < 300
    assert colours[_rgb(STATUS_COLOURS["confirmed"])] < 300
    assert _rgb(STATUS_COLOURS["pending"]) not in colours  # no `pending` beside finished POST verdicts

    index = _chromium("--enable-logging=stderr", "--v=0", "--dump-dom", f"{api_server}/")
    assert _console_messages(index) == []
    assert 'href="/ui/papers/hep-th/9901001"' in index.stdout and "SmolLM2" in index.stdout
    assert 'data-count-status="wrong"' in index.stdout and '<input name="q" type="search"' in index.stdout
    search = _chromium("--dump-dom", f"{api_server}/?q=hep-th")
    assert 'data-arxiv-id="hep-th/9901001"' in search.stdout and 'data-arxiv-id="2502.02737"' not in search.stdout
    LIST_ARTIFACT.unlink(missing_ok=True)
    listed = _chromium(f"--window-size=1280,{FOLD}", f"--screenshot={LIST_ARTIFACT}", f"{api_server}/")
    assert listed.returncode == 0 and LIST_ARTIFACT.exists(), listed.stderr[-2000:]
    assert _rgb(STATUS_COLOURS["wrong"]) in _png_pixels(LIST_ARTIFACT)[2]
