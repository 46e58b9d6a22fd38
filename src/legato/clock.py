"""The one source of time for services; tests pass their own callable instead."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

# Fault injection for tests: shifts this process's clock, as on a host whose clock is wrong (see
# legato.server.dbclock, which makes server processes follow the database's clock instead).
SKEW_ENV = "LEGATO_TEST_CLOCK_SKEW_SECONDS"
_SKEW = timedelta(seconds=float(os.environ.get(SKEW_ENV) or 0))


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC) + _SKEW
