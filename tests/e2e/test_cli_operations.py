"""Operations on a running `legato server local`, through the CLI: create, resume, kill, restart,
change a task run's state, replay."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from legato.api.serialize import execution_dto
from legato.store import open_store

LEGATO = str(Path(sys.executable).with_name("legato"))

FLOWS = {
    "approval.yaml": """
id: approval
namespace: tests.ops
tasks:
  - id: ask
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: approved
        type: BOOL
  - id: answer
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.ask.onResume.approved }}"
""",
    "slow.yaml": """
id: slow
namespace: tests.ops
tasks:
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT60S
  - id: never
    type: io.kestra.plugin.core.log.Log
    message: unreachable
""",
    "flaky.yaml": """
id: flaky
namespace: tests.ops
tasks:
  - id: first
    type: io.kestra.plugin.core.debug.Return
    format: one
  - id: shaky
    type: io.kestra.plugin.core.execution.Fail
    condition: "{{ taskrun.attemptsCount < 1 }}"
    errorMessage: first attempt fails
  - id: last
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.first.value }}-done"
""",
}


def cli(data_dir: Path, *args: str, check: bool = True) -> str:
    out = subprocess.run([LEGATO, *args, "--data-dir", str(data_dir)], capture_output=True, text=True, timeout=60,
                         check=False)
    if check:
        assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def show(data_dir: Path, execution_id: str) -> dict:  # type: ignore[type-arg]
    return json.loads(cli(data_dir, "execution", "show", execution_id))


def wait_state(data_dir: Path, execution_id: str, *states: str, timeout: float = 30) -> dict:  # type: ignore[type-arg]
    """Poll the server's database directly (a CLI call per poll would measure Python start-up instead)."""
    store = open_store(f"sqlite:///{data_dir / 'legato.db'}")
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            execution = store.get_execution(execution_id)
            if execution is not None and execution.state in states:
                return execution_dto(execution, store.task_runs(execution_id)).wire()
            time.sleep(0.1)
        raise AssertionError(f"{execution_id} never reached {states}: {execution.state if execution else None}")
    finally:
        store.close()


AUTH = "ops:ops-secret"  # the server's basic auth: the CLI's --server mode sends it as --token


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The data dir and API URL of a `legato server local` with basic auth on."""
    root = tmp_path_factory.mktemp("ops")
    flows = root / "flows"
    flows.mkdir()
    for name, source in FLOWS.items():
        (flows / name).write_text(source)
    data = root / "data"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")}, "LEGATO_BASIC_AUTH": AUTH}
    proc = subprocess.Popen([LEGATO, "server", "local", "--data-dir", str(data), "--flows", str(flows), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, env=env)
    assert proc.stdout is not None
    for line in proc.stdout:
        if b"running" in line:
            url = line.decode().split("API on ", 1)[1].split(" ", 1)[0]
            break
    yield data, url
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def server(running: tuple[Path, str]) -> Path:
    return running[0]


def remote(url: str, *args: str, token: str = AUTH, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")}
    out = subprocess.run([LEGATO, *args, "--server", url, "--token", token], capture_output=True, text=True, timeout=60,
                         check=False, env=env, cwd="/")
    if check:
        assert out.returncode == 0, out.stdout + out.stderr
    return out


def test_commands_act_on_a_running_server_through_its_api(running: tuple[Path, str], tmp_path: Path) -> None:
    """--server (+ --token) instead of a data dir: the same commands through the API (run from a directory with no
    data dir, so nothing is read locally)."""
    data, url = running
    created = remote(url, "execution", "create", "tests.ops", "approval").stdout.strip()
    wait_state(data, created, "PAUSED")
    assert json.loads(remote(url, "execution", "show", created).stdout)["state"]["current"] == "PAUSED"
    assert created in remote(url, "execution", "list", "--namespace", "tests.ops", "--state", "PAUSED").stdout
    remote(url, "execution", "resume", created, "--input", "approved=true")
    done = wait_state(data, created, "SUCCESS")
    assert done["taskRunList"][-1]["outputs"]["value"] == "true"

    flow = tmp_path / "remote.yaml"
    flow.write_text("id: remote_deployed\nnamespace: tests.remote\ntasks:\n  - id: hi\n    type: io.kestra.plugin.core.log.Log\n"
                    "    message: hi\n")
    assert remote(url, "flow", "deploy", str(flow)).stdout.strip() == "tests.remote.remote_deployed revision 1"
    flow.write_text(flow.read_text().replace("message: hi", "message: hello"))  # an existing flow: a new revision
    assert remote(url, "flow", "deploy", str(flow)).stdout.strip() == "tests.remote.remote_deployed revision 2"
    assert remote(url, "flow", "disable", "tests.remote.remote_deployed").stdout.strip() == "1 flow(s) disabled"
    exported = remote(url, "flow", "export", "--namespace", "tests.remote").stdout
    assert "id: remote_deployed" in exported and "disabled: true" in exported
    assert remote(url, "flow", "delete", "tests.remote.remote_deployed").stdout.strip() == "deleted 1 flow(s)"

    refused = remote(url, "execution", "list", token="ops:wrong", check=False)
    assert refused.returncode == 1 and "HTTP 401" in refused.stderr
    missing = remote(url, "execution", "show", "nope", check=False)
    assert missing.returncode == 1 and "HTTP 404" in missing.stderr


def test_resume_with_on_resume_inputs(server: Path) -> None:
    execution_id = cli(server, "execution", "create", "tests.ops", "approval")
    wait_state(server, execution_id, "PAUSED")
    bad = subprocess.run([LEGATO, "execution", "resume", execution_id, "--input", "approved=maybe",
                          "--data-dir", str(server)], capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 1 and "approved" in bad.stderr  # invalid input: nothing resumed
    assert show(server, execution_id)["state"]["current"] == "PAUSED"
    cli(server, "execution", "resume", execution_id, "--input", "approved=false")
    body = wait_state(server, execution_id, "SUCCESS")
    runs = {r["taskId"]: r for r in body["taskRunList"]}
    assert runs["answer"]["outputs"]["value"] == "false"


def test_kill_stops_a_running_task(server: Path) -> None:
    execution_id = cli(server, "execution", "create", "tests.ops", "slow")
    wait_state(server, execution_id, "RUNNING")
    time.sleep(0.5)
    cli(server, "execution", "kill", execution_id)
    accepted = time.monotonic()
    body = wait_state(server, execution_id, "KILLED", timeout=15)
    assert time.monotonic() - accepted < 5  # the server polls for outside events every second
    assert [r["taskId"] for r in body["taskRunList"]] == ["nap"]
    assert body["taskRunList"][0]["state"]["current"] == "KILLED"
    again = subprocess.run([LEGATO, "execution", "kill", execution_id, "--data-dir", str(server)],
                           capture_output=True, text=True, timeout=60, check=False)
    assert again.returncode == 1 and "already ended" in again.stderr


def test_restart_runs_the_failed_task_again(server: Path) -> None:
    execution_id = cli(server, "execution", "create", "tests.ops", "flaky")
    wait_state(server, execution_id, "FAILED")
    cli(server, "execution", "restart", execution_id)
    body = wait_state(server, execution_id, "SUCCESS")
    runs = {r["taskId"]: r for r in body["taskRunList"]}
    assert len(runs["first"]["attempts"]) == 1 and len(runs["shaky"]["attempts"]) == 2
    assert runs["last"]["outputs"]["value"] == "one-done"


def test_set_state_lets_a_failed_execution_carry_on(server: Path) -> None:
    """The task run named by its task's id (its only run)."""
    execution_id = cli(server, "execution", "create", "tests.ops", "flaky")
    wait_state(server, execution_id, "FAILED")
    wrong = subprocess.run([LEGATO, "execution", "set-state", execution_id, "shaky.x", "SUCCESS", "--data-dir", str(server)],
                           capture_output=True, text=True, timeout=60, check=False)
    assert wrong.returncode == 2 and "no task run 'shaky.x' in this execution; its tasks: first, shaky" in wrong.stderr
    cli(server, "execution", "set-state", execution_id, "shaky", "SUCCESS")
    body = wait_state(server, execution_id, "SUCCESS")
    assert {r["taskId"] for r in body["taskRunList"]} == {"first", "shaky", "last"}


def test_replay_reuses_earlier_outputs(server: Path) -> None:
    execution_id = cli(server, "execution", "create", "tests.ops", "flaky")
    body = wait_state(server, execution_id, "FAILED")
    shaky = next(r for r in body["taskRunList"] if r["taskId"] == "shaky")
    replay_id = cli(server, "execution", "replay", execution_id, shaky["id"])
    assert replay_id != execution_id
    body = wait_state(server, replay_id, "FAILED", "SUCCESS")
    assert body["originalId"] == execution_id
    runs = {r["taskId"]: r for r in body["taskRunList"]}
    assert runs["first"]["outputs"]["value"] == "one"  # reused from the original, not run again
    assert runs["first"]["attempts"] == show(server, execution_id)["taskRunList"][0]["attempts"]
