"""Sign-in lockout: `max_failures` failed sign-ins within `window` lock the account for `duration`
(Kestra's defaults: 10 in 5 minutes, 30 minutes). Pure: the state and `now` come in, the next state goes out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Policy:
    max_failures: int = 10
    window: timedelta = timedelta(minutes=5)
    duration: timedelta = timedelta(minutes=30)


@dataclass(frozen=True)
class Counter:
    failures: int = 0
    since: datetime | None = None  # the first failure of the current window
    locked_until: datetime | None = None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


def after_failure(counter: Counter, now: datetime, policy: Policy) -> Counter:
    """The counter after one more failed sign-in; locked when it reaches the policy's limit."""
    if counter.since is None or now - counter.since > policy.window:
        counter = Counter(0, now, None)
    failures = counter.failures + 1
    if failures >= policy.max_failures:
        return Counter(0, None, now + policy.duration)
    return Counter(failures, counter.since, counter.locked_until)


CLEAR = Counter()
