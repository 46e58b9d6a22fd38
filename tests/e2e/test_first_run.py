"""`make run` for a newcomer (issue 21): a taken port is named with the option to change it, the output ends
with the URL to open, and a restart does not silently overwrite what was edited in the UI since an example
flow was deployed from its file. Real `legato server local` processes on free ports."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from tests.e2e.ui.test_web_ui import LEGATO, ROOT, _wait_ready

FLOW = "id: greet\nnamespace: first.run\ntasks:\n  - id: hello\n    type: io.kestra.plugin.core.log.Log\n    message: {m}\n"


@contextmanager
def local_server(data: Path, flows: Path, log_path: Path) -> Iterator[str]:
    """A `legato server local --flows FLOWS` on a free port; its whole output ends up in `log_path`."""
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [LEGATO, "server", "local", "--port", "0", "--data-dir", str(data), "--flows", str(flows)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=data.parent,
        )
    try:
        yield _wait_ready(process, log_path)
    finally:
        process.terminate()
        process.wait(timeout=15)


def _source(base: str) -> str:
    response = httpx.get(f"{base}/api/v1/main/flows/first.run/greet", params={"source": "true"}, timeout=10)
    response.raise_for_status()
    return str(response.json()["source"])


def test_a_restart_keeps_ui_edits_of_an_unchanged_example_and_says_so(tmp_path: Path) -> None:
    flows, data = tmp_path / "flows", tmp_path / "data"
    flows.mkdir()
    (flows / "greet.yaml").write_text(FLOW.format(m="from the file"))
    with local_server(data, flows, tmp_path / "first.log") as base:
        edited = FLOW.format(m="edited in the UI")
        response = httpx.put(
            f"{base}/api/v1/main/flows/first.run/greet",
            content=edited,
            headers={"Content-Type": "application/x-yaml"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
    assert "deployed first.run.greet (revision 1)" in (tmp_path / "first.log").read_text()

    with local_server(data, flows, tmp_path / "second.log") as base:
        assert "edited in the UI" in _source(base)
    said = (tmp_path / "second.log").read_text()
    assert "kept first.run.greet revision 2: edited since" in said, said
    assert "deployed first.run.greet" not in said

    (flows / "greet.yaml").write_text(FLOW.format(m="changed in the file"))
    with local_server(data, flows, tmp_path / "third.log") as base:
        assert "changed in the file" in _source(base)
    assert "deployed first.run.greet (revision 3)" in (tmp_path / "third.log").read_text()


def test_an_unchanged_example_is_not_deployed_again(tmp_path: Path) -> None:
    flows, data = tmp_path / "flows", tmp_path / "data"
    flows.mkdir()
    (flows / "greet.yaml").write_text(FLOW.format(m="hi"))
    with local_server(data, flows, tmp_path / "first.log"):
        pass
    with local_server(data, flows, tmp_path / "second.log"):
        pass
    said = (tmp_path / "second.log").read_text()
    assert "first.run.greet" not in said, said
    assert "1 example flow unchanged" in said, said


def test_the_output_ends_with_the_url_to_open(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    with local_server(tmp_path / "data", flows, tmp_path / "out.log") as base:
        pass
    last = (tmp_path / "out.log").read_text().strip().splitlines()
    assert any(line == f"Open {base}/ in a browser." for line in last), last


def _newcomer_environment() -> dict[str, str]:
    """This environment as a newcomer's shell has it: not inside a make (`make test` runs these tests, and a make
    started by a make says "Entering directory" first and shares its flags)."""
    return {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES")}


def test_make_run_prints_no_build_noise_and_ends_with_the_url_to_open(tmp_path: Path) -> None:
    """The command `make run` runs (its `install` prerequisite left out: `-o install`, this checkout being installed),
    from a fresh directory as a newcomer's clone: what it prints ends with the URL to open, which answers, and stays
    the last line while the UI is used (no access log, no bundler output)."""
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    venv = Path(sys.executable).parent.parent
    log_path = tmp_path / "make.log"
    with log_path.open("w") as log:
        make = subprocess.Popen(
            ["make", "-f", str(ROOT / "Makefile"), "run", "-o", "install", "PORT=0", f"VENV={venv}"],
            stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path, start_new_session=True, env=_newcomer_environment(),
        )
    try:
        deadline = time.monotonic() + 90
        while "Open http" not in log_path.read_text():
            assert make.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        url = re.search(r"^Open (http://127\.0\.0\.1:\d+/) in a browser\.$", log_path.read_text(), re.M)
        assert url, log_path.read_text()
        assert httpx.get(url.group(1), follow_redirects=True, timeout=10).status_code == 200
        assert httpx.get(url.group(1) + "api/v1/main/flows/tutorial/hello", timeout=10).status_code == 200
        time.sleep(1)
    finally:
        os.killpg(make.pid, signal.SIGTERM)
        make.wait(timeout=30)
    lines = log_path.read_text().strip().splitlines()
    assert lines[0].endswith(" server local --flows examples/ --port 0"), lines[0]  # what make echoes, as typed
    assert lines[-1] == f"Open {url.group(1)} in a browser.", lines[-3:]
    noise = [line for line in lines if re.search(r"\bkB\b|gzip:|PLUGIN_TIMINGS|vite|GET /|INFO", line)]
    assert not noise, noise


def test_the_ui_build_make_run_may_start_prints_warnings_only() -> None:
    """`make run` builds the UI when its sources changed: npm and Vite at warning level (no chunk table), Rolldown's
    plugin timing notes off."""
    recipe = subprocess.run(["make", "-n", "-W", "ui/index.html", "-o", "ui/src/api/types.ts", "-o",
                             "ui/node_modules/.package-lock.json", "src/legato/api/static/index.html"],
                            capture_output=True, text=True, cwd=ROOT, check=True, env=_newcomer_environment()).stdout
    assert "npm run build --silent -- --logLevel warn" in recipe, recipe
    assert "bundlerTimings: false" in (ROOT / "ui" / "vite.config.ts").read_text()


def test_a_taken_port_is_named_with_the_option_to_pick_another(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [LEGATO, "server", "local", "--port", str(port), "--data-dir", str(tmp_path / "d")],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "--port" in result.stderr and "make run PORT=" in result.stderr, result.stderr


def test_the_readme_quick_start_matches_the_makefile() -> None:
    readme = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    head = readme[: readme.index("\n## ")]
    assert "make run" in head and "http://127.0.0.1:8080/" in head
    assert "make run PORT=9090" in head
    # every `make <target>` the README names is a target of the Makefile
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))
    named = set(re.findall(r"(?:`|^)make ([a-z][a-z-]*)", readme, re.M))
    assert named <= targets, named - targets
    assert re.search(r"^PORT \?= 8080$", makefile, re.M)
    run = makefile[makefile.index("\nrun:") :].split("\n\n")[0]
    assert "--port $(PORT)" in run and "--flows examples/" in run
