"""The web UI in a real browser: Debian's Chromium, driven by playwright-core (browser.mjs), against a real
`legato server local` with the example flows. A failing scenario leaves a screenshot (and the page's HTML) in
test-results/ui/. Under CI=true a missing browser, Node.js or UI build fails the tests instead of skipping them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
LEGATO = str(Path(sys.executable).with_name("legato"))
SCRIPT = Path(__file__).with_name("browser.mjs")
CHROMIUM = os.environ.get("LEGATO_CHROMIUM", "/usr/bin/chromium")
OUT = ROOT / "test-results" / "ui"
READY = re.compile(r"API on (http://127\.0\.0\.1:\d+)")


def _missing() -> str | None:
    """What this machine lacks to run the browser tests, if anything."""
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or `make system-deps` as root)"
    if shutil.which("node") is None:
        return "no node on PATH (Node.js >= 20)"
    if not (ROOT / "ui" / "node_modules" / "playwright-core").is_dir():
        return "ui/node_modules has no playwright-core: run `make ui`"
    if not (ROOT / "src" / "legato" / "api" / "static" / "index.html").is_file():
        return "the web UI is not built: run `make ui`"
    return None


@contextmanager
def local_server(data: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """`legato server local` on a free port with its data under `data`/data and examples/ deployed; its base URL.
    `env`: variables added to the server's environment (settings such as LEGATO_AI_URL)."""
    log_path = data / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [LEGATO, "server", "local", "--port", "0", "--data-dir", str(data / "data"), "--flows", str(ROOT / "examples")],
            stdout=log, stderr=subprocess.STDOUT, cwd=data, env={**os.environ, **(env or {})},
        )
    try:
        yield _wait_ready(process, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(process: subprocess.Popen[bytes], log_path: Path, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = READY.search(log_path.read_text())
        if found:
            return found.group(1)
        if process.poll() is not None:
            pytest.fail(f"legato server local exited with {process.returncode}:\n{log_path.read_text()}")
        time.sleep(0.1)
    pytest.fail(f"legato server local did not start in {timeout} s:\n{log_path.read_text()}")


def _scenario(name: str, base: str) -> None:
    started = time.monotonic()
    result = subprocess.run(["node", str(SCRIPT), name, base, str(OUT)], capture_output=True, text=True,
                            timeout=120, cwd=ROOT)
    print(f"{name}: {time.monotonic() - started:.1f} s wall\n{result.stdout}")
    assert result.returncode == 0, f"browser scenario {name} failed:\n{result.stdout}\n{result.stderr}"


def test_first_run_from_landing_page_to_green_execution_and_logs(server: str) -> None:
    """Landing page → "Run your first flow" → hello with a name → SUCCESS, outputs, then its logs."""
    _scenario("first_run", server)


def test_editor_flags_a_typo_at_its_line_saves_and_runs_live_with_a_file(server: str) -> None:
    """New flow in the editor: a typo shows at line 15; fixed, saved, topology shown, executed with a FILE
    input, RUNNING then SUCCESS arriving over SSE without a reload, logs read."""
    _scenario("editor", server)


def test_flows_list_search_namespace_filter_and_dark_mode(server: str) -> None:
    """Flows list filters through the URL; the dark mode toggle applies and persists."""
    _scenario("flows_list", server)


def test_resume_a_paused_execution_with_its_on_resume_input(server: str) -> None:
    """tutorial.approval pauses; the Resume form offers its onResume input; the answer reaches the logs."""
    _scenario("resume", server)


def test_flow_editor_completion_marker_topology_save_revisions_diff_restore(server: str) -> None:
    """Monaco editor: the flows list does not load it; completion offers task types from the flow schema, the
    docs panel follows the cursor's task, a typo in a task type is marked on its line, the live topology draws
    the unsaved flow; Ctrl+S creates revision 1, Save revision 2; Revisions shows the diff (side by side and
    unified) and restoring revision 1 saves it as revision 3."""
    _scenario("flow_editor", server)


def test_namespace_file_created_edited_saved_and_deleted_from_the_editor(server: str) -> None:
    """The editor's Files panel: create scripts/etl.py, edit it in Monaco, save, find it in the tree after a
    reload, delete it — each step checked through the API."""
    _scenario("namespace_file", server)


def test_editor_stays_responsive_on_a_2000_line_flow(server: str) -> None:
    """2,000 lines in the editor: keystrokes cause no long main-thread task, validation and the docs panel
    follow (figures printed)."""
    _scenario("big_flow", server)
