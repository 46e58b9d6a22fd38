"""The API fuzz run (tests/fuzz/run.py: schemathesis over every REST operation, no 5xx, responses as documented) as
one test of the suite, so that a parallel `make test` runs it beside the other tests rather than before them.
FUZZ_EXAMPLES sets the examples per operation: 25 by default, as `make test` (a quarter of the full run's time);
`make fuzz`, or FUZZ_EXAMPLES=100, runs the full 100 per operation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).with_name("run.py")


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_the_fuzz_run_finds_no_server_error_and_no_undocumented_response() -> None:
    examples = os.environ.get("FUZZ_EXAMPLES", "25")
    result = subprocess.run([sys.executable, str(RUN), "--examples", examples], capture_output=True, text=True,
                            timeout=1700)
    assert result.returncode == 0, f"{result.stdout[-20000:]}\n{result.stderr[-5000:]}"
