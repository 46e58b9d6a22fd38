"""What every runner agrees on: a command to run in a working directory, lines streamed back as they come,
an exit code at the end. How the process is isolated is the runner's business."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

# Called once per output line, without its line ending; the flag says whether it came from stderr.
LineSink = Callable[[str, bool], None]


class RunnerError(Exception):
    """A runner cannot run the command at all (missing tool, unreachable engine); the message says how to fix it."""


class CommandTimedOut(Exception):
    """The command ran longer than its timeout; its processes were killed."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the command timed out after {seconds:g} s and was killed")
        self.seconds = seconds


@dataclass(frozen=True)
class CommandSpec:
    """One command for a runner.

    `env` is the complete environment the command gets (already allow-listed by the caller). `path_prefix`
    lists host folders to put first on PATH (interpreter shims, a cached virtualenv), and `helpers` maps an
    environment variable to host folders the command needs on it (PYTHONPATH, NODE_PATH); a container runner
    mounts or copies those into the container instead of using host paths. `namespace` is the flow's: isolating
    runners never let commands of different namespaces share a sandbox.
    """

    argv: Sequence[str]
    workdir: Path
    env: Mapping[str, str]
    timeout: float | None = None
    path_prefix: Sequence[Path] = ()
    helpers: Mapping[str, Sequence[Path]] = field(default_factory=dict)
    image: str | None = None
    namespace: str | None = None
    # what a container runner puts on the container (execution, flow, task), so an operator can tell whose it is
    labels: Mapping[str, str] = field(default_factory=dict)
    # where a runner says something about the run itself (a failed pull, a fallback): the task's log
    note: Callable[[str], None] | None = None


class Runner(Protocol):
    name: str

    def visible_workdir(self, workdir: Path) -> str:
        """The working directory's path as the command sees it."""
        ...

    async def run(self, spec: CommandSpec, on_line: LineSink) -> int:
        """Run the command to its end and return its exit code. When this returns, `spec.workdir` holds the
        files the command left in its working directory. On timeout it raises CommandTimedOut, on
        cancellation it re-raises CancelledError; in both cases nothing the command started is left running."""
        ...
