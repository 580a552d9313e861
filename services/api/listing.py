"""The paper list's search (?q=) and headline-status filter (?status=) as plain MongoDB find filters
(FerretDB runs them: equality, $regex anchored at the start, null for "no headline verdict")."""

from __future__ import annotations

import re
from typing import Any, get_args

from shared.models import VerdictStatus

LIST_STATUSES = (*get_args(VerdictStatus), "none")  # "none": no headline verdict yet
VERSION_SUFFIX = re.compile(r"v\d+$")


def search_key(q: str | None) -> str:
    """The arXiv ID part a user typed: "arXiv:2502.02737v2 " -> "2502.02737"."""
    text = (q or "").strip()
    text = re.sub(r"^arxiv:\s*", "", text, flags=re.IGNORECASE)
    return VERSION_SUFFIX.sub("", text) if re.search(r"\d", text) else text


def status_query(status: str | None) -> dict[str, Any]:
    if not status:
        return {}
    if status == "none":
        return {"verdict": None}
    return {"verdict.status": status}


def papers_query(q: str | None, status: str | None) -> dict[str, Any]:
    """The find filter: IDs starting with the search text, and the headline status."""
    key = search_key(q)
    query = {"_id": {"$regex": f"^{re.escape(key)}"}} if key else {}
    return {**query, **status_query(status)}
