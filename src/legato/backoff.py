"""Exponential back-off: the one helper every retry loop uses (a crashed service loop, a realtime trigger's
consumer, the PostgreSQL LISTEN connection)."""

from __future__ import annotations


class Backoff:
    """Delays that start at `first` and double after each failure up to `limit`; `reset` after a success."""

    def __init__(self, first: float, limit: float) -> None:
        self.first = first
        self.limit = limit
        self.delay = first

    def next(self) -> float:
        """The delay to wait now; the following one is twice as long (at most `limit`)."""
        delay = self.delay
        self.delay = min(self.delay * 2, self.limit)
        return delay

    def reset(self) -> None:
        self.delay = self.first
