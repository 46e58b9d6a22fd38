"""How `legato server local` starts as docs/security.md says (issue 22, findings 1-2 follow-ups): on a host
with no isolation primitive (bubblewrap absent from PATH) it says so at start-up and refuses script tasks
unless LEGATO_UNSAFE_PROCESS_RUNNER is set, which it then warns about; and it runs as a non-root user that owns
its data dir, scripts included."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

import legato
from tests.local_server import wait_healthy

API = "/api/v1/main"
FLOW = """id: script
namespace: test.start
tasks:
  - id: py
    type: io.kestra.plugin.scripts.python.Script
    script: |
      import os
      print("::" + '{"outputs": {"uid": %d}}' % os.getuid() + "::")
"""
NOBODY = 65534


@contextmanager
def _server(
    command: Sequence[str], env: Mapping[str, str]
) -> Iterator[tuple[str, subprocess.Popen[str], list[str]]]:
    """A `legato server local` child: its URL, the process and the start-up lines it printed to stderr."""
    errors = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - read after the process ends
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True, env=dict(env))
    startup: list[str] = []
    try:
        assert process.stdout is not None
        url = None
        for _ in range(50):
            line = process.stdout.readline()
            found = re.search(r"API on (http://\S+) ", line)
            if found:
                url = found.group(1)
                break
        errors.seek(0)
        startup.extend(errors.read().splitlines())
        assert url is not None, f"the server never said where it listens: {startup}"
        wait_healthy(url, timeout=30)
        yield url, process, startup
    finally:
        process.terminate()
        process.wait(timeout=30)
        errors.close()


def _run_script(url: str) -> tuple[dict[str, Any], str]:
    with httpx.Client(base_url=url, timeout=120) as client:
        deployed = client.post(f"{API}/flows", content=FLOW, headers={"content-type": "application/x-yaml"})
        assert deployed.status_code == 200, deployed.text
        execution: dict[str, Any] = client.post(
            f"{API}/executions/test.start/script", params={"wait": True}
        ).json()
        logs = client.get(f"{API}/logs/{execution['id']}").json()
    return execution, "\n".join(line["message"] for line in logs)


def _without_bwrap(tmp_path: Path, unsafe: bool) -> dict[str, str]:
    """An environment whose PATH has Python and Legato but no bubblewrap."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")}
    env["PATH"] = str(Path(sys.executable).parent)
    assert shutil.which("bwrap", path=env["PATH"]) is None
    if unsafe:
        env["LEGATO_UNSAFE_PROCESS_RUNNER"] = "true"
    return env


def _local(data_dir: Path) -> list[str]:
    return [
        str(Path(sys.executable).with_name("legato")),
        "server",
        "local",
        "--data-dir",
        str(data_dir),
        "--port",
        "0",
    ]


def test_without_isolation_script_tasks_are_refused_and_start_up_says_so(tmp_path: Path) -> None:
    with _server(_local(tmp_path / "data"), _without_bwrap(tmp_path, unsafe=False)) as (url, _, startup):
        assert any("script tasks are refused" in line and "bubblewrap" in line for line in startup), startup
        execution, logs = _run_script(url)
    assert execution["state"]["current"] == "FAILED"
    assert "LEGATO_UNSAFE_PROCESS_RUNNER" in logs, logs


def test_the_operator_may_run_scripts_unisolated_and_is_warned(tmp_path: Path) -> None:
    with _server(_local(tmp_path / "data"), _without_bwrap(tmp_path, unsafe=True)) as (url, _, startup):
        assert any("UNISOLATED" in line for line in startup), startup
        execution, logs = _run_script(url)
    assert execution["state"]["current"] == "SUCCESS", logs


@pytest.mark.skipif(os.geteuid() != 0, reason="switching to another user needs root")
@pytest.mark.skipif(
    shutil.which("setpriv") is None or not Path("/usr/bin/python3").exists(),
    reason="needs setpriv and a system Python",
)
def test_the_server_runs_as_a_non_root_user() -> None:
    """As docs/security.md says: a user of its own owning the data dir (here `nobody`), scripts sandboxed in an
    unprivileged user namespace. The system Python runs Legato from this checkout (a non-root user cannot
    enter /root, where the test's own interpreter may live)."""
    if sys.version_info[:2] != tuple(
        int(x)
        for x in subprocess.check_output(
            ["/usr/bin/python3", "-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
            text=True,
        ).split()
    ):
        pytest.skip(
            "the system Python is not the tests' version, so it cannot load this environment's packages"
        )
    data_dir = Path(tempfile.mkdtemp(prefix="legato-nonroot-"))
    try:
        os.chown(data_dir, NOBODY, NOBODY)
        source = str(Path(legato.__file__).parent.parent)
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")}
        # outbound network (slirp4netns) cannot join a non-root server's sandbox yet: scripts get none here
        env.update(
            {
                "PYTHONPATH": f"{source}:{sysconfig.get_paths()['purelib']}",
                "HOME": str(data_dir),
                "PATH": "/usr/bin:/bin",
                "LEGATO_SCRIPT_NETWORK": "none",
            }
        )
        command = [
            "setpriv",
            f"--reuid={NOBODY}",
            f"--regid={NOBODY}",
            "--clear-groups",
            "/usr/bin/python3",
            "-c",
            "import sys; from legato.cli.main import main; sys.argv[0] = 'legato'; main()",
            "server",
            "local",
            "--data-dir",
            str(data_dir / "data"),
            "--port",
            "0",
        ]
        with _server(command, env) as (url, process, startup):
            assert psutil.Process(process.pid).uids().effective == NOBODY
            assert not any("refused" in line for line in startup), startup
            execution, logs = _run_script(url)
        assert execution["state"]["current"] == "SUCCESS", logs
        uid = execution["taskRunList"][0]["outputs"]["vars"]["uid"]
        assert uid != 0
        assert (data_dir / "data" / "legato.db").stat().st_uid == NOBODY
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
