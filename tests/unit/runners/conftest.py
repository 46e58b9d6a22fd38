"""Helpers for the runner tests: run a command, collect its lines, find processes it left behind."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest

from legato.runners.base import CommandSpec
from legato.runners.environment import script_environment


@dataclass
class Lines:
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)
    both: list[tuple[bool, str]] = field(default_factory=list)

    def __call__(self, line: str, is_stderr: bool) -> None:
        (self.err if is_stderr else self.out).append(line)
        self.both.append((is_stderr, line))


def spec(workdir: Path, script: str, **kwargs: Any) -> CommandSpec:
    return CommandSpec(argv=["/bin/sh", "-c", script], workdir=workdir, env=script_environment(str(workdir)), **kwargs)


def run(runner: Any, command: CommandSpec) -> tuple[int, Lines]:
    lines = Lines()
    code = asyncio.run(runner.run(command, lines))
    return code, lines


def processes_left(marker: str, within: float = 5.0) -> list[psutil.Process]:
    """The processes mentioning `marker` still alive `within` seconds from now (none: returns at once). A SIGKILL
    is delivered when the killed process next runs, which a loaded machine can delay."""
    deadline = time.monotonic() + within
    while (found := processes_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return found


def processes_with(marker: str) -> list[psutil.Process]:
    """Live processes whose command line mentions `marker` (zombies count as gone)."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        try:
            if proc.info["status"] != psutil.STATUS_ZOMBIE and marker in " ".join(proc.info["cmdline"] or []):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A stand-in for Legato's data dir, holding a secret."""
    path = tmp_path / "data"
    path.mkdir()
    (path / "legato.db").write_text("database secret")
    return path


@pytest.fixture
def marker() -> str:
    """A unique number to tag the processes of one test (as a `sleep` argument, which it does not change much)."""
    return str(1000 + uuid.uuid4().int % 8000)
