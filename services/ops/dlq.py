"""Dead letters an operator can act on (pure: no I/O). A row per dead letter for `dlq list`, and
what `dlq replay` sends back: the original bytes and headers to the original topic and key.

Replaying is safe to repeat: every id downstream is deterministic and the publisher is idempotent,
so a message that already went through once leaves the read model as it was."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from shared import topics
from shared.deadletters import DeadLetter
from shared.headers import HEADER_ERROR


class ReplayRefused(ValueError):
    """The selection is empty, ambiguous, or holds a dead letter that cannot be replayed."""


@dataclass(frozen=True)
class Row:
    dlq_topic: str
    partition: int
    offset: int
    letter: DeadLetter | None  # None: the dead letter itself is unreadable
    problem: str = ""

    def summary(self) -> dict[str, object]:
        if self.letter is None:
            return {
                "dlq_topic": self.dlq_topic,
                "partition": self.partition,
                "offset": self.offset,
                "problem": self.problem,
            }
        letter = self.letter
        return {
            "dlq_topic": self.dlq_topic,
            "partition": self.partition,
            "offset": self.offset,
            "topic": letter.topic,
            "key": letter.key,
            "stage": letter.stage,
            "service": letter.service,
            "attempts": letter.attempts,
            "error_type": letter.error_type,
            "error": letter.error,
            "failed_at": letter.failed_at.isoformat(),
            "original_size": letter.original_size,
            "original_truncated": letter.original_truncated,
        }


def dlq_topic_of(name: str) -> str:
    """The dead-letter topic meant by `name`: a topic or its `.dlq`, or a pipeline topic's short name
    such as `ingest.requests`."""
    name = name.strip()
    if f"paperverdict.{name.removesuffix('.dlq')}" in topics.ALL:
        name = f"paperverdict.{name}"
    return name if name.endswith(".dlq") else topics.dead_letter(name)


def row(dlq_topic: str, partition: int, offset: int, value: bytes) -> Row:
    try:
        return Row(dlq_topic, partition, offset, DeadLetter.model_validate_json(value))
    except (ValidationError, ValueError) as exc:
        return Row(dlq_topic, partition, offset, None, f"not a dead letter: {str(exc)[:200]}")


def select(rows: Sequence[Row], *, offset: int | None, partition: int | None, everything: bool) -> list[Row]:
    """The rows `dlq replay` acts on: one (by offset, and partition when the offset is ambiguous) or all."""
    if everything == (offset is not None):
        raise ReplayRefused("say which dead letters to replay: --offset N (with --partition P if needed) or --all")
    if everything:
        chosen = list(rows)
    else:
        chosen = [r for r in rows if r.offset == offset and (partition is None or r.partition == partition)]
        if len({r.partition for r in chosen}) > 1:
            where = ", ".join(f"partition {r.partition}" for r in chosen)
            raise ReplayRefused(f"offset {offset} is in more than one partition ({where}): add --partition")
    if not chosen:
        raise ReplayRefused("no dead letter matches")
    return chosen


def replay_record(r: Row) -> tuple[str, bytes | None, bytes, dict[str, str]]:
    """(topic, key, value, headers) that puts the original message back where it came from."""
    if r.letter is None:
        raise ReplayRefused(f"{r.dlq_topic} partition {r.partition} offset {r.offset}: {r.problem}")
    letter = r.letter
    if letter.original_truncated:
        raise ReplayRefused(
            f"{r.dlq_topic} partition {r.partition} offset {r.offset}: only the first bytes of the "
            f"{letter.original_size}-byte original were kept; it cannot be replayed"
        )
    headers = {k: v for k, v in letter.original_headers.items() if k != HEADER_ERROR}
    headers["x-replayed-from"] = f"{r.dlq_topic}/{r.partition}/{r.offset}"
    key = letter.key.encode("utf-8") if letter.key is not None else None
    return letter.topic, key, letter.original(), headers


def table(rows: Iterable[Row], *, width: int = 60) -> str:
    """The text `dlq list` prints: one line per dead letter, newest last."""
    lines = [
        f"{'dead-letter topic':36} {'p':>2} {'offset':>6}  {'failed at (UTC)':19}  {'stage':6} {'bytes':>7}  key / error"
    ]
    for r in rows:
        if r.letter is None:
            lines.append(
                f"{r.dlq_topic:36} {r.partition:>2} {r.offset:>6}  {'-':19}  {'-':6} {'-':>7}  {r.problem[:width]}"
            )
            continue
        at = r.letter.failed_at.strftime("%Y-%m-%d %H:%M:%S")
        error = " ".join(r.letter.error.split())[:width]
        lines.append(
            f"{r.dlq_topic:36} {r.partition:>2} {r.offset:>6}  {at:19}  {r.letter.stage:6} "
            f"{r.letter.original_size:>7}  {r.letter.key or '-'} / {error}"
        )
    return "\n".join(lines)
