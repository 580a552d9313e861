"""Page numbers from the PDF's text layer (pypdf): the page that prints a table's caption tag.

`pdf_page` is the 1-based physical page. The caption tag ("Table 3:", "Table A.1:") is searched
first; a table whose tag is not found falls back to the page that prints most of its numbers.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable

from shared.logging import get_logger

log = get_logger(__name__)
MAX_PAGES = 300

logging.getLogger("pypdf").setLevel(logging.ERROR)


class PdfPages:
    """The text of each page, extracted lazily (tables are usually early; pypdf is the slow part)."""

    def __init__(self, data: bytes | None, check: Callable[[], None] = lambda: None) -> None:
        self._check = check
        self._texts: list[str] = []
        self._reader = None
        self._count = 0
        if data:
            try:
                from pypdf import PdfReader

                self._reader = PdfReader(io.BytesIO(data))
                self._count = min(len(self._reader.pages), MAX_PAGES)
            except Exception as exc:  # noqa: BLE001 - pypdf raises anything on a broken PDF; it costs the page numbers, never the claims
                log.warning("pdf_unreadable", error=f"{type(exc).__name__}: {exc}")
                self._reader = None

    def __len__(self) -> int:
        return self._count

    def text(self, k: int) -> str:
        """Whitespace-normalised text of page k (0-based); '' when pypdf cannot read it."""
        while len(self._texts) <= k < self._count:
            self._check()
            try:
                raw = self._reader.pages[len(self._texts)].extract_text() or ""
            except Exception as exc:  # noqa: BLE001 - pypdf raises anything; a broken page must not lose the others
                log.warning("pdf_page_unreadable", page=len(self._texts) + 1, error=f"{type(exc).__name__}: {exc}")
                raw = ""
            self._texts.append(re.sub(r"\s+", " ", raw))
        return self._texts[k] if k < len(self._texts) else ""

    def page_of(self, label: str, numbers: list[str]) -> int | None:
        """1-based page of table `label` ("Table 3", "Table 3a", "Table A.1 (part 2)")."""
        if not self._count:
            return None
        m = re.match(r"Table\s+([A-Z]?\.?\d+(?:\.\d+)*)", label)
        if m:
            # "Table 3:" is a caption; "Table 3." may end a sentence that cites it, so it comes second
            for separator in (":", r"\.(?!\s*\d)"):
                tag = re.compile(rf"Table\s*{re.escape(m.group(1))}\s*{separator}")
                for k in range(self._count):
                    if tag.search(self.text(k)):
                        return k + 1
        if not numbers:
            return None
        best, best_hits = None, 0
        for k in range(self._count):
            text = self.text(k)
            hits = sum(1 for n in set(numbers) if re.search(rf"(?<![\d.]){re.escape(n)}(?!\d)", text))
            if hits > best_hits:
                best, best_hits = k + 1, hits
        return best if best_hits >= max(2, len(set(numbers)) // 2) else None
