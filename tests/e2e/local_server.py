"""`legato server local` as a real child process, for the crash tests: started on a free port with short leases,
killed with -9, started again."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

LEGATO = str(Path(sys.executable).with_name("legato"))


def start_local(data_dir: Path, env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
    """`legato server local` on `data_dir` (port 0, 2 s leases) in its own process group."""
    return subprocess.Popen(
        [LEGATO, "server", "local", "--data-dir", str(data_dir), "--lease-seconds", "2", "--port", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True, env={**os.environ, **(env or {})},
    )


def wait_for(predicate: Callable[[], object], timeout: float, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
