"""Retry arithmetic: whether another attempt is allowed and when it starts. Pure and deterministic."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from legato.model.task import Retry


def next_delay(policy: Retry, attempts_done: int, seed: str) -> timedelta:
    """Delay before attempt number `attempts_done + 1` (attempts_done >= 1)."""
    if policy.type == "constant":
        return policy.interval or timedelta(0)
    if policy.type == "exponential":
        base = policy.interval or timedelta(seconds=1)
        factor = policy.delayFactor or 2.0
        delay = base * (factor ** (attempts_done - 1))
        return min(delay, policy.maxInterval) if policy.maxInterval else delay
    low = policy.minInterval or timedelta(0)
    high = policy.maxInterval or low
    # "random" without randomness: a stable fraction derived from the run and attempt keeps decide() pure.
    fraction = int.from_bytes(hashlib.sha256(f"{seed}:{attempts_done}".encode()).digest()[:4], "big") / 2**32
    return low + (high - low) * fraction


def may_retry(policy: Retry, attempts_done: int, first_started: datetime | None, now: datetime) -> bool:
    """True when the policy allows another attempt after `attempts_done` failed ones."""
    if policy.maxAttempts is not None and attempts_done >= policy.maxAttempts:
        return False
    if policy.maxDuration is not None and first_started is not None:
        delay = next_delay(policy, attempts_done, "")
        if now + delay - first_started > policy.maxDuration:
            return False
    return True
