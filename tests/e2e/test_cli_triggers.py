"""`legato trigger list|enable|disable`, run as a user runs them, against a data directory prepared with
`legato flow deploy`."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import update

from legato.store import open_store
from legato.store.schema import triggers

LEGATO = str(Path(sys.executable).with_name("legato"))

FLOWS = {
    "nightly.yaml": """
id: nightly
namespace: tests.triggers
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hello
triggers:
  - id: schedule
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 2 * * *"
  - id: paused
    type: trigger.Schedule
    cron: "0 3 * * *"
    disabled: true
""",
    "hook.yaml": """
id: hook
namespace: tests.other
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hello
triggers:
  - id: webhook
    type: io.kestra.plugin.core.trigger.Webhook
    key: a-secret-key
""",
    "plain.yaml": """
id: plain
namespace: tests.triggers
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hello
""",
}


def legato(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LEGATO, *args, "--data-dir", str(data)], capture_output=True, text=True, timeout=60,
                          check=False)


def table(data: Path, *args: str) -> list[list[str]]:
    """The rows of `legato trigger list`, split on runs of two or more spaces (cells may hold one)."""
    done = legato(data, "trigger", "list", *args)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["NAMESPACE", "FLOW", "TRIGGER", "TYPE", "ENABLED", "NEXT", "LAST"]
    return [re.split(r"\s{2,}", line.strip()) for line in lines[1:]]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    flows = tmp_path / "flows"
    flows.mkdir()
    for name, source in FLOWS.items():
        (flows / name).write_text(source)
    data = tmp_path / "data"
    store = open_store(f"sqlite:///{data / 'legato.db'}")  # what `legato server local` does on its first start
    store.migrate()
    store.close()
    deployed = legato(data, "flow", "deploy", str(flows))
    assert deployed.returncode == 0, deployed.stderr
    assert deployed.stdout.splitlines() == [
        "tests.other.hook revision 1", "tests.triggers.nightly revision 1", "tests.triggers.plain revision 1",
    ]
    return data


def test_list_shows_every_trigger_of_the_deployed_flows(data: Path) -> None:
    assert table(data) == [
        ["tests.other", "hook", "webhook", "io.kestra.plugin.core.trigger.Webhook", "yes", "-", "-"],
        ["tests.triggers", "nightly", "schedule", "io.kestra.plugin.core.trigger.Schedule", "yes", "-", "-"],
        ["tests.triggers", "nightly", "paused", "trigger.Schedule", "no (source)", "-", "-"],
    ]
    assert [row[:3] for row in table(data, "--namespace", "tests.other")] == [["tests.other", "hook", "webhook"]]
    assert [row[2] for row in table(data, "--flow", "nightly")] == ["schedule", "paused"]
    empty = legato(data, "trigger", "list", "--namespace", "tests.triggers", "--flow", "plain")
    assert (empty.returncode, empty.stdout, empty.stderr.strip()) == (0, "", "no triggers found")


def test_disable_then_enable_is_what_list_shows(data: Path) -> None:
    done = legato(data, "trigger", "disable", "tests.triggers", "nightly", "schedule")
    assert (done.returncode, done.stdout.strip()) == (0, "trigger schedule of tests.triggers.nightly disabled"), done.stderr
    assert [r[4] for r in table(data, "--flow", "nightly")] == ["no", "no (source)"]
    assert [r[4] for r in table(data, "--flow", "hook")] == ["yes"]  # the other flows are left alone
    assert legato(data, "trigger", "disable", "tests.triggers", "nightly", "schedule").returncode == 0  # idempotent
    done = legato(data, "trigger", "enable", "tests.triggers", "nightly", "schedule")
    assert (done.returncode, done.stdout.strip()) == (0, "trigger schedule of tests.triggers.nightly enabled"), done.stderr
    assert [r[4] for r in table(data, "--flow", "nightly")] == ["yes", "no (source)"]


def test_enabling_a_trigger_the_source_disables_says_it_stays_off(data: Path) -> None:
    done = legato(data, "trigger", "enable", "tests.triggers", "nightly", "paused")
    assert done.returncode == 0
    assert "sets `disabled: true` on paused, so it still does not fire" in done.stderr
    assert table(data, "--flow", "nightly")[1][4] == "no (source)"


def test_list_shows_the_stored_dates(data: Path) -> None:
    assert legato(data, "trigger", "disable", "tests.other", "hook", "webhook").returncode == 0
    store = open_store(f"sqlite:///{data / 'legato.db'}")  # what the scheduler will write when it fires
    try:
        with store.database.engine.begin() as conn:
            conn.execute(update(triggers).values(next_date=datetime(2025, 3, 2, 2, 0, tzinfo=UTC),
                                                 last_date=datetime(2025, 3, 1, 2, 0, 5, tzinfo=UTC)))
    finally:
        store.close()
    assert table(data, "--namespace", "tests.other") == [
        ["tests.other", "hook", "webhook", "io.kestra.plugin.core.trigger.Webhook", "no", "2025-03-02 02:00:00",
         "2025-03-01 02:00:05"],
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("tests.triggers", "missing", "schedule"), "error: flow tests.triggers.missing not found"),
        (("tests.triggers", "nightly", "schedul"),
         "error: flow tests.triggers.nightly has no trigger 'schedul' (did you mean 'schedule'?); its triggers: schedule, paused"),
        (("tests.triggers", "plain", "schedule"), "error: flow tests.triggers.plain has no trigger 'schedule'; it has no triggers"),
    ],
)
def test_unknown_flow_or_trigger_fails_and_changes_nothing(data: Path, args: tuple[str, ...], message: str) -> None:
    done = legato(data, "trigger", "disable", *args)
    assert (done.returncode, done.stdout, done.stderr.strip()) == (1, "", message)
    assert [r[4] for r in table(data)] == ["yes", "yes", "no (source)"]


def test_a_data_dir_without_legato_data_is_refused(tmp_path: Path) -> None:
    done = legato(tmp_path / "empty", "trigger", "list")
    assert done.returncode == 2 and "no Legato data in" in done.stderr
