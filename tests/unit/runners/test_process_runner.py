"""The process runner: lines streamed with their stream, exit codes, allow-listed environment, the whole
process group killed on timeout and cancellation, and the data dir hidden with Landlock."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from legato.runners import landlock
from legato.runners.base import CommandTimedOut
from legato.runners.environment import script_environment
from legato.runners.process import ProcessRunner
from tests.unit.runners.conftest import processes_left, processes_with, run, spec


def test_lines_come_back_with_their_stream_and_the_exit_code(workdir: Path) -> None:
    code, lines = run(ProcessRunner(), spec(workdir, "echo one; echo two >&2; printf 'no newline'; exit 3"))
    assert code == 3
    assert lines.out == ["one", "no newline"]
    assert lines.err == ["two"]


def test_long_lines_and_crlf(workdir: Path) -> None:
    code, lines = run(ProcessRunner(), spec(workdir, "head -c 300000 /dev/zero | tr '\\0' a; echo; printf 'x\\r\\n'"))
    assert code == 0
    assert lines.out == ["a" * 300000, "x"]


def test_the_environment_is_allow_listed(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_SECRET", "s3cr3t")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db/legato")
    monkeypatch.setenv("TZ", "Europe/Paris")
    env = script_environment(str(workdir), {"MINE": "yes"})
    command = spec(workdir, "env")
    code, lines = run(ProcessRunner(), type(command)(argv=command.argv, workdir=workdir, env=env))
    assert code == 0
    seen = dict(line.split("=", 1) for line in lines.out if "=" in line)
    assert "LEGATO_SECRET" not in seen and "DATABASE_URL" not in seen
    assert "s3cr3t" not in "\n".join(lines.out)
    assert seen["HOME"] == str(workdir) and seen["WORKING_DIR"] == str(workdir)
    assert seen["MINE"] == "yes" and seen["TZ"] == "Europe/Paris" and "PATH" in seen


def test_timeout_kills_the_whole_group(workdir: Path, marker: str) -> None:
    script = f"sleep {marker}.1 & sleep {marker}.2 & sh -c 'sleep {marker}.3' & wait"
    started = time.monotonic()
    with pytest.raises(CommandTimedOut):
        run(ProcessRunner(kill_grace=0.5), spec(workdir, script, timeout=0.5))
    assert time.monotonic() - started < 5
    assert processes_left(f"sleep {marker}") == []


def test_a_process_ignoring_sigterm_is_killed_after_the_grace(workdir: Path, marker: str) -> None:
    script = f"trap '' TERM; sleep {marker}.4 & wait; wait"
    with pytest.raises(CommandTimedOut):
        run(ProcessRunner(kill_grace=0.3), spec(workdir, script, timeout=0.3))
    assert processes_left(f"sleep {marker}") == []


def test_cancellation_kills_the_group_and_propagates(workdir: Path, marker: str) -> None:
    async def scenario() -> None:
        task = asyncio.create_task(ProcessRunner(kill_grace=0.5).run(spec(workdir, f"sleep {marker}.5 & wait"), lambda *_: None))
        await asyncio.sleep(0.3)
        assert processes_with(f"sleep {marker}")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert processes_left(f"sleep {marker}") == []


def test_background_processes_end_with_the_command(workdir: Path, marker: str) -> None:
    code, _ = run(ProcessRunner(), spec(workdir, f"sleep {marker}.6 >/dev/null 2>&1 & echo started"))
    assert code == 0
    assert processes_left(f"sleep {marker}") == []


@pytest.mark.skipif(landlock.abi_version() == 0, reason="this kernel has no Landlock")
def test_the_data_dir_is_unreadable(workdir: Path, data_dir: Path) -> None:
    script = f"cat {data_dir}/legato.db; ls {data_dir}; cat /etc/hostname >/dev/null && echo system-readable; echo x > f && cat f"
    code, lines = run(ProcessRunner(hidden=[data_dir]), spec(workdir, script))
    assert "database secret" not in lines.out
    assert any("Permission denied" in line for line in lines.err)
    assert "system-readable" in lines.out and "x" in lines.out
    assert code == 0


@pytest.mark.skipif(landlock.abi_version() == 0, reason="this kernel has no Landlock")
def test_a_symlink_into_the_data_dir_does_not_help(workdir: Path, data_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "shortcut").symlink_to(data_dir)
    code, lines = run(ProcessRunner(hidden=[data_dir]), spec(workdir, f"cat {tmp_path}/shortcut/legato.db"))
    assert code != 0
    assert "database secret" not in lines.out
