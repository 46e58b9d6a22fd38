"""The browser tests' server: one `legato server local` with examples/ deployed per test process (per pytest-xdist
worker), shared by every scenario module rather than one per module — on the loaded 2-core machine a start took
17 to 35 s and a stop 3 to 14 s. Scenarios stay independent: each makes its own flows, namespaces and keys with unique
ids, and none assumes a scenario of any module ran before it or not."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from tests.e2e.ui.test_web_ui import _missing, local_server


@pytest.fixture(scope="session")
def browser_ready() -> None:
    """Fails (CI=true) or skips when the machine lacks Chromium, Node.js, playwright-core or the UI build."""
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def server(browser_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a `legato server local` on a free port, with examples/ deployed."""
    with local_server(tmp_path_factory.mktemp("ui-server")) as base:
        yield base
