"""Waiting for a `legato server` a test started in its own process: the address it announces, then its health."""

from __future__ import annotations

import re
import time
from typing import IO

import httpx

ANNOUNCED = re.compile(r"API on (http://\S+) ")


def announced_url(stdout: IO[str], lines: int = 50) -> str | None:
    """The API's address from the server's first `lines` lines of output; None if it never says it."""
    for _ in range(lines):
        found = ANNOUNCED.search(stdout.readline())
        if found:
            return found.group(1)
    return None


def wait_healthy(url: str, timeout: float = 20) -> None:
    """Until `{url}/health` answers 200 (a connection refused or reset is retried); fails after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the server never became healthy"
        time.sleep(0.05)
