"""Node.js Script and Commands. `require('@kestra-io/libs')` and `require('legato-helpers')` resolve with no
install step (NODE_PATH)."""

from __future__ import annotations

from typing import ClassVar

from legato.model.task import TASKS
from legato.plugins.scripts.base import CommandLines, InlineScript


@TASKS.register
class Script(InlineScript):
    """Run an inline Node.js script."""

    TYPE: ClassVar[str] = "scripts.node.Script"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.scripts.node.Script",)
    DEFAULT_IMAGE: ClassVar[str] = "node:22-slim"
    EXTENSION: ClassVar[str] = ".js"
    RUN_FILE: ClassVar[tuple[str, ...]] = ("node",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: node
type: io.kestra.plugin.scripts.node.Script
script: |
  const Kestra = require('@kestra-io/libs');
  Kestra.outputs({ sum: 1 + 2 });
""",
    )


@TASKS.register
class Commands(CommandLines):
    """Run Node.js from command lines (`node main.js`, `npm ...`)."""

    TYPE: ClassVar[str] = "scripts.node.Commands"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.scripts.node.Commands",)
    DEFAULT_IMAGE: ClassVar[str] = "node:22-slim"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: node_commands
type: io.kestra.plugin.scripts.node.Commands
inputFiles:
  main.js: console.log('hello from node');
commands:
  - node main.js
""",
    )
