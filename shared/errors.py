"""How a failure is handled by the consumer (`shared/consumer.py`): retried or dead-lettered at once."""

from __future__ import annotations


class PermanentError(Exception):
    """Retrying cannot help (unknown paper, unusable input): dead-letter at once with this reason."""


class TransientError(Exception):
    """Worth retrying (broker, MongoDB, arXiv hiccups); dead-lettered once retries run out."""


class UpstreamUnavailable(TransientError):
    """A service we call (arXiv, the Hugging Face Hub) could not be reached, timed out, or answered 5xx
    or 429. The consumer waits for it (`shared.consumer`, exponential backoff with jitter up to
    PV_KAFKA_OUTAGE_HORIZON_S, honouring `retry_after_s`) instead of dead-lettering the message:
    the message is fine, its upstream is not. Adapters subclass it (ArxivUnavailable, HubUnavailable)."""

    def __init__(self, service: str, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.service = service
        self.retry_after_s = retry_after_s


class MessageRejected(PermanentError):
    """The payload failed validation at the boundary."""


class OutputTooLarge(PermanentError):
    """An output message over the broker's size limit: refused before anything was sent."""
