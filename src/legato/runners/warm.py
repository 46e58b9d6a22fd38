"""The `python-warm` runner: Python scripts run in a pre-started interpreter that forks once per task, so a
task pays a fork instead of an interpreter start (tens of ms). Opt-in, per task
(`taskRunner: {type: python-warm}`) or per flow (`pluginDefaults` on `io.kestra.plugin.scripts.python`).

The forked child gets what a `process` child gets: its own session (killed as a group on timeout or kill),
the task's working dir and allow-listed environment, stdout/stderr as pipes read line by line (the
`::{...}::` protocol), the `kestra` and `legato_helpers` modules, and the data dir hidden with Landlock.
What differs: the interpreter's modules are already imported (a script sees their state as of the start),
all forked scripts share one hash seed, and a `dependencies:` virtualenv is added to `sys.path` of the
worker's interpreter rather than started as its own interpreter. Commands that are not exactly
`python <file>.py [args]` (Shell tasks, `beforeCommands`, pipes) run as with the `process` runner.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shlex
from collections.abc import Sequence
from pathlib import Path

from legato.runners import forkserver
from legato.runners.base import CommandSpec, LineSink, RunnerError
from legato.runners.process import ProcessRunner

log = logging.getLogger("legato.runners")

_SHELLS = {"sh", "bash", "dash", "zsh", "ksh", "ash"}
_SHELL_SYNTAX = set("$`*?[]~;&|<>(){}\\!#\n'\"")  # any of these and the shell would do more than run python
_PYTHONS = {"python", "python3"}


def python_entry(spec: CommandSpec) -> tuple[str, list[str]] | None:
    """(file, args) when the command is only `python <file>.py [args]` through a shell, else None."""
    argv = list(spec.argv)
    if len(argv) != 3 or Path(argv[0]).name not in _SHELLS or argv[1] != "-c":
        return None
    line = argv[2].strip()
    if _SHELL_SYNTAX & set(line):
        return None
    words = shlex.split(line)
    if len(words) < 2 or words[0] not in _PYTHONS or not words[1].endswith(".py") or words[1].startswith("-"):
        return None
    return words[1], words[2:]


class WarmPythonRunner(ProcessRunner):
    """Runs Python files in forks of a pre-started interpreter; anything else as the process runner does."""

    name = "python-warm"

    def __init__(self, *, hidden: Sequence[Path] = (), kill_grace: float = 1.0, require_hiding: bool = False,
                 interpreter: str | None = None) -> None:
        super().__init__(hidden=hidden, kill_grace=kill_grace, require_hiding=require_hiding)
        self.interpreter = interpreter or forkserver.default_interpreter()

    async def run(self, spec: CommandSpec, on_line: LineSink) -> int:
        entry = python_entry(spec)
        if entry is None:
            return await super().run(spec, on_line)
        pythonpath = [str(p) for p in spec.helpers.get("PYTHONPATH", ())]
        try:
            server = await self._server(pythonpath)
        except RunnerError as exc:
            log.warning("%s; running the script with a fresh interpreter instead", exc)
            return await super().run(spec, on_line)
        site = _virtualenv_site(spec.env.get("VIRTUAL_ENV"), server.version)
        if site is False:  # a virtualenv of another Python version: only its own interpreter can run it
            return await super().run(spec, on_line)
        ruleset = self._ruleset()
        request = {"mode": "python", "script": entry[0], "args": entry[1], "cwd": str(spec.workdir),
                   "env": self.environment(spec), "site": [site] if site else []}
        try:
            return await self.run_forked(server, request, spec, on_line, ruleset)
        finally:
            if ruleset is not None:
                os.close(ruleset)

    async def _server(self, pythonpath: list[str]) -> forkserver.ForkServer:
        if forkserver.started(self.interpreter, pythonpath):
            return forkserver.shared(self.interpreter, pythonpath)
        return await asyncio.to_thread(forkserver.shared, self.interpreter, pythonpath)


def _virtualenv_site(venv: str | None, version: tuple[int, int]) -> str | bool | None:
    """The site-packages folder of `venv` for the interpreter's version; None without a virtualenv, False
    when the virtualenv was made for another version."""
    if not venv:
        return None
    site = Path(venv) / "lib" / f"python{version[0]}.{version[1]}" / "site-packages"
    return str(site) if site.is_dir() else False
