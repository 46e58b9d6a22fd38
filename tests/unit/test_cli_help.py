"""`legato --help` lists every command without importing it: the summaries it shows are kept in `COMMANDS`,
and each must be how the command's own help begins."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from legato.cli.main import COMMANDS, cli


def test_each_summary_is_how_its_command_help_begins() -> None:
    for name, (module, attribute, summary) in COMMANDS.items():
        command = getattr(importlib.import_module(module), attribute)
        assert " ".join((command.help or "").split()).startswith(summary), f"{name}: {summary!r} vs {command.help!r}"


def test_help_lists_every_command_and_imports_none() -> None:
    probe = ("import sys; from click.testing import CliRunner; from legato.cli.main import cli, COMMANDS; "
             "out = CliRunner().invoke(cli, ['--help']).output; "
             "print(sorted(m for m, _, _ in COMMANDS.values() if m in sys.modules)); print(out)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    imported, _, listing = result.stdout.partition("\n")
    assert imported == "[]"
    for name in COMMANDS:
        assert f"\n  {name} " in listing


def test_a_command_still_opens_on_demand() -> None:
    result = CliRunner().invoke(cli, ["flow", "--help"])
    assert result.exit_code == 0 and "validate" in result.output


# A command of each group that acts through a server's API (and `deploy`, of a flow written by the test), and
# the help of the groups that act on the database or a model only.
REMOTE = "--server http://127.0.0.1:9 --token t"  # nothing listens on port 9: each command fails on the connection
LIGHT_COMMANDS = [
    f"tenant list {REMOTE}", f"execution list {REMOTE}", f"execution kill e1 {REMOTE}", f"user list {REMOTE}",
    f"token list bob {REMOTE}", f"scim list {REMOTE}", f"trigger list {REMOTE}", f"flow export {REMOTE}",
    f"flow delete a.b {REMOTE}", f"app list {REMOTE}", f"dashboard list {REMOTE}", f"secret list a {REMOTE}",
    "sys --help", "ai --help", "mcp --help",
]


def test_remote_commands_import_neither_the_store_nor_the_api(tmp_path: Path) -> None:
    """A command run with --server talks HTTP: the store (SQLAlchemy) and the API server would only slow its start
    (the end-to-end tests run hundreds of them)."""
    (tmp_path / "hello.yml").write_text("id: hello\nnamespace: demo\ntasks:\n  - id: log\n"
                                        "    type: io.kestra.plugin.core.log.Log\n    message: hi\n")
    commands = [*LIGHT_COMMANDS, f"deploy {tmp_path} {REMOTE}"]
    probe = ("import json, sys; from click.testing import CliRunner; from legato.cli.main import cli\n"
             "for line in sys.argv[1:]:\n"
             "    result = CliRunner().invoke(cli, line.split())\n"
             "    heavy = [m for m in ('sqlalchemy', 'legato.store.sql', 'legato.api') if m in sys.modules]\n"
             "    print(json.dumps([line, result.exit_code, heavy, result.output]))\n")
    result = subprocess.run([sys.executable, "-c", probe, *commands], capture_output=True, text=True,
                            timeout=60, check=True)
    reports = [json.loads(report) for report in result.stdout.splitlines()]
    assert [line for line, _, _, _ in reports] == commands
    for line, code, heavy, output in reports:  # modules stay loaded: the first command to load one is named
        assert heavy == [], f"`legato {line}` imported {heavy}"
        if "--server" in line:  # it did reach for the server (and did not stop at a usage error)
            assert code == 1 and "127.0.0.1:9" in output, f"`legato {line}`: {output}"
