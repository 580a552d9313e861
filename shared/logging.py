"""structlog setup: JSON in production, key=value on a terminal, for our lines and the libraries' alike.

Bind `arxiv_id`, `claim_id`, `correlation_id` and `topic` once per message with `bind_message`;
every log line inside the handler then carries them.

Our structlog loggers and stdlib logging (FastStream's, aiokafka's, motor's) end in one handler on the
root logger whose `structlog.stdlib.ProcessorFormatter` renders every line the same way: the same keys
(`event`, `level`, `logger`, `timestamp`, the bound message context, any `extra` fields) and, in
production, one JSON object per line. FastStream installs its own stdout/stderr handlers with plain
text formats on its loggers (and stops them propagating); `configure_logging` takes those back.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from shared.settings import LogSettings

# FastStream's loggers: `faststream` (app lifecycle) and `faststream.access.<broker>` (per message).
# Each gets a handler of its own and propagate=False from FastStream; we undo both.
FASTSTREAM_LOGGERS = ("faststream", "faststream.access", "faststream.access.kafka")
BROKER_LOGGER = "faststream.access.kafka"  # handed to the broker (shared.bus.make_broker)

_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


class _OurHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the root handler `configure_logging` installed, so that calling it again replaces it."""


def _level(name: str) -> int:
    level = logging.getLevelName(name.upper())
    return level if isinstance(level, int) else logging.INFO


def configure_logging(settings: LogSettings | None = None, *, stream: Any = None) -> None:
    """Route structlog and stdlib logging into one formatter on stderr (or `stream`)."""
    settings = settings or LogSettings()
    out = stream if stream is not None else sys.stderr
    use_json = settings.format == "json" or (settings.format == "auto" and not out.isatty())
    renderer: Any = structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer()
    level = _level(settings.level)

    formatter = structlog.stdlib.ProcessorFormatter(
        # stdlib records: our shared keys plus what the caller passed as `extra` (FastStream: topic, ...)
        foreign_pre_chain=[*_SHARED, structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _stringify_event,
            renderer,
        ],
    )
    handler = _OurHandler(out)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _OurHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in FASTSTREAM_LOGGERS:
        library = logging.getLogger(name)
        for own in list(library.handlers):
            library.removeHandler(own)
        library.propagate = True
        library.setLevel(logging.NOTSET)

    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )


def _stringify_event(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """stdlib messages may be any object (FastStream logs exceptions as the message): keep JSON valid."""
    if not isinstance(event_dict.get("event"), str):
        event_dict["event"] = str(event_dict.get("event"))
    return event_dict


def broker_logger() -> logging.Logger:
    """The stdlib logger FastStream's broker writes its per-message lines to (propagating to root)."""
    return logging.getLogger(BROKER_LOGGER)


def bind_message(**fields: object) -> None:
    """Replace the per-message context (call at the start of each handler)."""
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(**{k: v for k, v in fields.items() if v is not None})


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger


class _CurrentStderr:
    """Whatever sys.stderr is at write time (structlog keeps the file object it was given; tests swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def isatty(self) -> bool:
        return sys.stderr.isatty()


def configure_cli_logging() -> None:
    """For commands whose stdout carries their results: warnings and errors only, on stderr (unless
    logging was configured already)."""
    if not structlog.is_configured():
        configure_logging(LogSettings(level="WARNING"), stream=_CurrentStderr())
