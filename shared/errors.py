"""How a failure is handled by the consumer (`shared/consumer.py`): retried or dead-lettered at once."""

from __future__ import annotations


class PermanentError(Exception):
    """Retrying cannot help (unknown paper, unusable input): dead-letter at once with this reason."""


class TransientError(Exception):
    """Worth retrying (broker, MongoDB, arXiv hiccups); dead-lettered once retries run out."""


class MessageRejected(PermanentError):
    """The payload failed validation at the boundary."""


class OutputTooLarge(PermanentError):
    """An output message over the broker's size limit: refused before anything was sent."""
