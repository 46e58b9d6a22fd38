"""Shell Script and Commands: lines run by `interpreter` (default /bin/sh -c)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from legato.model.task import TASKS
from legato.plugins.context import RunContext
from legato.plugins.scripts.base import CommandLines, InlineScript
from legato.plugins.scripts.templates import RunTemplates


@TASKS.register
class Script(InlineScript):
    """Run an inline shell script (after `beforeCommands`, in the same shell)."""

    TYPE: ClassVar[str] = "scripts.shell.Script"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.scripts.shell.Script",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: greet
type: io.kestra.plugin.scripts.shell.Script
env:
  NAME: "{{ inputs.name }}"
script: |
  echo "hello $NAME"
  echo '::{"outputs": {"greeted": true}}::'
""",
    )

    def main_lines(self, ctx: RunContext, templates: RunTemplates, workdir: Path) -> tuple[list[str], set[str]]:
        # the script is the shell's own input, as with Kestra: failFast and beforeCommands share its shell
        return [templates.command(self.script)], set()


@TASKS.register
class Commands(CommandLines):
    """Run shell command lines."""

    TYPE: ClassVar[str] = "scripts.shell.Commands"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.scripts.shell.Commands",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: list
type: io.kestra.plugin.scripts.shell.Commands
outputFiles:
  - "*.txt"
commands:
  - echo "a report" > report.txt
  - ls -l
""",
    )
