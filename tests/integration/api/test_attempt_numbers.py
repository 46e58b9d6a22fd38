"""Attempt numbers of log lines, and an error logged once: the records (attemptNumber from 0, as Kestra's) and
`legato execution logs` (attempts from 1, `boom #1`), on a data dir and through `--server`."""

from __future__ import annotations

import re

import httpx
from click.testing import CliRunner
from tests.integration.api.conftest import LiveServer
from tests.integration.api.executions_support import API, YAML

from legato.cli.main import cli

RETRIED = """
id: retried
namespace: {ns}
tasks:
  - id: boom
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: boom went the task
    retry:
      type: constant
      interval: PT0.05S
      maxAttempts: 3
"""

SCRIPT = """
id: script
namespace: {ns}
tasks:
  - id: py
    type: io.kestra.plugin.scripts.python.Script
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    script: |
      import sys
      print("hello")
      sys.exit("py failed here")
"""


def failed(client: httpx.Client, source: str, ns: str) -> str:
    assert client.post(f"{API}/flows", content=source.format(ns=ns), headers=YAML).status_code == 200
    flow_id = source.split("id: ", 2)[1].split("\n", 1)[0]
    body = client.post(f"{API}/executions/{ns}/{flow_id}", params={"wait": True}).json()
    assert body["state"]["current"] == "FAILED", body
    return str(body["id"])


def cli_logs(server: LiveServer, execution_id: str, *, remote: bool) -> list[str]:
    where = ["--server", server.url] if remote else ["--database-url", str(server.store.database.engine.url)]  # type: ignore[attr-defined]
    ran = CliRunner().invoke(cli, ["execution", "logs", execution_id, *where])
    assert ran.exit_code == 0, ran.output
    return ran.output.splitlines()


def test_a_retried_task_numbers_its_attempts_and_logs_each_error_once(server: LiveServer, client: httpx.Client,
                                                                      ns: str) -> None:
    execution_id = failed(client, RETRIED, ns)
    records = client.get(f"{API}/logs/{execution_id}").json()
    errors = [r for r in records if r["level"] == "ERROR"]
    assert [(r["attemptNumber"], r["message"]) for r in errors] == [(n, "boom went the task") for n in (0, 1, 2)]
    retrying = [r for r in records if "retrying" in r["message"]]
    assert [(r["attemptNumber"], r["message"].split(";")[0]) for r in retrying] == [
        (0, "Attempt 1 of 'boom' failed"), (1, "Attempt 2 of 'boom' failed")]
    for remote in (False, True):
        lines = cli_logs(server, execution_id, remote=remote)
        assert [re.sub(r"^\S+ ", "", line) for line in lines if " ERROR " in line] == [
            f"ERROR boom #{n}: boom went the task" for n in (1, 2, 3)]
        assert any(" WARN  boom #1: Attempt 1 of 'boom' failed; retrying at " in line for line in lines), lines


def test_a_failed_script_logs_its_error_once(server: LiveServer, client: httpx.Client, ns: str) -> None:
    execution_id = failed(client, SCRIPT, ns)
    messages = [r["message"] for r in client.get(f"{API}/logs/{execution_id}").json()]
    assert sum("py failed here" in m for m in messages) == 1, messages  # the stderr line, not again in the error
    assert messages.count("Command failed with exit code 1") == 1, messages
    run = client.get(f"{API}/executions/{execution_id}").json()["taskRunList"][0]
    lines = cli_logs(server, execution_id, remote=False)
    assert any(line.endswith("py #1: hello") for line in lines), lines
    assert any(line.endswith("ERROR py #1: Command failed with exit code 1") for line in lines), lines
    assert run["state"]["current"] == "FAILED"
