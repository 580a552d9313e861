"""Timestamps as MongoDB stores them: BSON dates keep milliseconds, so a datetime we write and read
back compares equal only when it was truncated to milliseconds first."""

from __future__ import annotations

from datetime import UTC, datetime


def bson_time(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def utc_now() -> datetime:
    return bson_time(datetime.now(UTC))
