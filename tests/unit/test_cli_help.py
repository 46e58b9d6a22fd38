"""`legato --help` lists every command without importing it: the summaries it shows are kept in `COMMANDS`,
and each must be how the command's own help begins."""

from __future__ import annotations

import importlib
import subprocess
import sys

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
