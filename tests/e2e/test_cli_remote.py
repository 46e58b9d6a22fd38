"""`legato trigger|secret|app|dashboard ...` with --server and --token: the same commands through the REST API of a
running `legato server local` with basic auth, printing what they print on its data dir (each answer is compared
with the local command's, run on the server's own database)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.local_server import announced_url, wait_healthy

LEGATO = str(Path(sys.executable).with_name("legato"))
ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "examples" / "apps" / "access_request.yaml"
AUTH = "remote:remote-secret"

FLOW = """
id: scheduled
namespace: tests.remote
inputs:
  - id: name
    type: STRING
    defaults: world
triggers:
  - id: nightly
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 2 * * *"
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: remote-hook-key
tasks:
  - id: hi
    type: io.kestra.plugin.core.log.Log
    message: hi
"""

DASHBOARD = """id: remote_ops
title: Remote ops
charts:
  - id: by_flow
    type: io.kestra.plugin.core.dashboard.chart.Bar
    chartOptions: {displayName: Per flow, column: flow}
    data:
      type: io.kestra.plugin.core.dashboard.data.Executions
      columns:
        flow: {field: FLOW_ID, displayName: Flow}
        runs: {agg: COUNT, displayName: Runs}
"""


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")}


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The data dir and URL of a `legato server local` with basic auth and one flow with two triggers."""
    root = tmp_path_factory.mktemp("remote")
    flows = root / "flows"
    flows.mkdir()
    (flows / "scheduled.yaml").write_text(FLOW)
    data = root / "data"
    proc = subprocess.Popen([LEGATO, "server", "local", "--data-dir", str(data), "--flows", str(flows), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, text=True,
                            env={**_env(), "LEGATO_BASIC_AUTH": AUTH})
    assert proc.stdout is not None
    url = announced_url(proc.stdout)
    assert url, "the server did not start"
    wait_healthy(url)
    yield data, url
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=20)


def remote(url: str, *args: str, stdin: str | None = None, token: str = AUTH) -> subprocess.CompletedProcess[str]:
    """A command run from a directory with no data dir, through the API only."""
    return subprocess.run([LEGATO, *args, "--server", url, "--token", token], capture_output=True, text=True,
                          timeout=60, check=False, env=_env(), cwd="/", input=stdin)


def local(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LEGATO, *args, "--data-dir", str(data)], capture_output=True, text=True, timeout=60,
                          check=False, env=_env())


def ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def same(running: tuple[Path, str], *args: str) -> str:
    """The output of a read-only command, which must be the same through the API and on the data dir."""
    data, url = running
    through_api, on_disk = ok(remote(url, *args)), ok(local(data, *args))
    assert (through_api.stdout, through_api.stderr) == (on_disk.stdout, on_disk.stderr)
    return through_api.stdout


def test_triggers_through_the_api(running: tuple[Path, str]) -> None:
    data, url = running
    listed = same(running, "trigger", "list", "--namespace", "tests.remote").splitlines()
    assert [line.split()[2:5] for line in listed[1:]] == [
        ["nightly", "io.kestra.plugin.core.trigger.Schedule", "yes"],
        ["hook", "io.kestra.plugin.core.trigger.Webhook", "yes"]]
    assert ok(remote(url, "trigger", "disable", "tests.remote", "scheduled", "hook")).stdout == \
        "trigger hook of tests.remote.scheduled disabled\n"
    assert local(data, "trigger", "list", "--flow", "scheduled").stdout.splitlines()[2].split()[4] == "no"
    ok(remote(url, "trigger", "enable", "tests.remote", "scheduled", "hook"))
    assert same(running, "trigger", "list", "--flow", "scheduled").splitlines()[2].split()[4] == "yes"
    assert ok(remote(url, "trigger", "restart", "tests.remote", "scheduled", "nightly")).stdout == \
        "trigger nightly of tests.remote.scheduled restarted\n"
    not_locked = remote(url, "trigger", "unlock", "tests.remote", "scheduled", "nightly")
    assert not_locked.returncode == 1 and "HTTP 409" in not_locked.stderr

    ok(remote(url, "trigger", "disable", "tests.remote", "scheduled", "nightly"))  # its backfill waits till enabled
    made = ok(remote(url, "trigger", "backfill", "tests.remote", "scheduled", "nightly", "--start", "2025-01-01",
                     "--end", "2025-01-03", "--label", "origin=cli"))
    assert made.stdout == ("backfill of trigger nightly of tests.remote.scheduled created: "
                           "2025-01-01 00:00:00 to 2025-01-03 00:00:00 (UTC)\n")
    ok(remote(url, "trigger", "backfill-pause", "tests.remote", "scheduled", "nightly"))
    paused = same(running, "trigger", "backfills", "--namespace", "tests.remote")
    assert paused == ("tests.remote  scheduled  nightly  2025-01-01 00:00:00 -> 2025-01-03 00:00:00  at not started  "
                      "0 executions  PAUSED\n")
    ok(remote(url, "trigger", "backfill-resume", "tests.remote", "scheduled", "nightly"))
    assert same(running, "trigger", "backfills").endswith("at not started  0 executions\n")
    ok(remote(url, "trigger", "backfill-delete", "tests.remote", "scheduled", "nightly"))
    assert local(data, "trigger", "backfills").stderr == "no backfills\n"
    ok(remote(url, "trigger", "enable", "tests.remote", "scheduled", "nightly"))
    unknown = remote(url, "trigger", "disable", "tests.remote", "scheduled", "nope")
    assert unknown.returncode == 1 and "HTTP 404" in unknown.stderr and "nightly, hook" in unknown.stderr


def test_secrets_through_the_api(running: tuple[Path, str]) -> None:
    data, url = running
    ok(remote(url, "secret", "set", "tests.remote", "API_KEY", "--description", "the key", "--tag", "team=data",
              stdin="remote-value-1\n"))
    ok(remote(url, "secret", "set", "tests.remote.child", "OWN", stdin="child-value"))
    parent = same(running, "secret", "list", "tests.remote")
    assert parent.split("\t")[:3] == ["API_KEY", "the key", "team=data"] and "remote-value-1" not in parent
    assert same(running, "secret", "list", "tests.remote.child").splitlines()[1] == \
        "API_KEY\t(inherited from tests.remote)"
    ok(remote(url, "secret", "delete", "tests.remote", "API_KEY"))
    assert local(data, "secret", "list", "tests.remote").stderr == "no secrets in tests.remote\n"
    refused = remote(url, "secret", "list", "tests.remote", token="remote:wrong")
    assert refused.returncode == 1 and "HTTP 401" in refused.stderr


def test_apps_through_the_api(running: tuple[Path, str]) -> None:
    url = running[1]
    assert ok(remote(url, "app", "apply", str(APP))).stderr == f"app access_request created ({APP})\n"
    assert ok(remote(url, "app", "apply", str(APP))).stderr == f"app access_request updated ({APP})\n"
    assert "access_request\tRequest access\ttutorial.access_request\tPUBLIC\t/ui/main/apps/access_request" in \
        same(running, "app", "list")
    assert same(running, "app", "show", "access_request") == APP.read_text()
    ok(remote(url, "app", "delete", "access_request"))
    missing = remote(url, "app", "show", "access_request")
    assert missing.returncode == 1 and "HTTP 404" in missing.stderr


def test_dashboards_through_the_api(running: tuple[Path, str], tmp_path: Path) -> None:
    data, url = running
    source = tmp_path / "ops.yaml"
    source.write_text(DASHBOARD)
    assert ok(remote(url, "dashboard", "apply", str(source))).stderr == f"dashboard remote_ops created ({source})\n"
    listed = same(running, "dashboard", "list")
    assert listed.startswith("default\tOverview\t6 charts\t-\n") and "remote_ops\tRemote ops\t1 charts\t" in listed
    assert same(running, "dashboard", "show", "remote_ops") == DASHBOARD
    window = ("--start", "2025-01-01T00:00:00Z", "--end", "2025-01-20T00:00:00Z")
    assert same(running, "dashboard", "export", "remote_ops", "by_flow", *window).splitlines()[0] == "Flow,Runs"
    ok(remote(url, "dashboard", "delete", "remote_ops"))
    assert "remote_ops" not in local(data, "dashboard", "list").stdout


def test_an_undeclared_input_is_refused_with_the_declared_ones(running: tuple[Path, str]) -> None:
    """A typo in --input would run the flow with its default (the API ignores unknown inputs): refused, here and
    on the data dir, with nothing created."""
    data, url = running
    before = local(data, "execution", "list", "--namespace", "tests.remote").stdout
    for done in (remote(url, "execution", "create", "tests.remote", "scheduled", "--input", "nme=Ada"),
                 local(data, "execution", "create", "tests.remote", "scheduled", "--input", "nme=Ada")):
        assert done.returncode == 2, done.stdout + done.stderr
        assert "the flow declares no input 'nme'; its inputs: name" in done.stderr
    assert local(data, "execution", "list", "--namespace", "tests.remote").stdout == before
    created = ok(remote(url, "execution", "create", "tests.remote", "scheduled", "--input", "name=Ada")).stdout.strip()
    assert created in local(data, "execution", "list", "--namespace", "tests.remote").stdout
