"""Commands that need hiding are forked by the fork server, not by the worker: they still stream their lines,
report their exit code, time out and die with their whole group, and a dead fork server is replaced."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from legato.runners import forkserver, landlock
from legato.runners.base import CommandTimedOut
from legato.runners.process import ProcessRunner
from tests.unit.runners.conftest import processes_left, run, spec

pytestmark = pytest.mark.skipif(landlock.abi_version() == 0, reason="this kernel has no Landlock")


def test_a_hiding_command_is_forked_by_the_fork_server(workdir: Path, data_dir: Path) -> None:
    code, lines = run(ProcessRunner(hidden=[data_dir]), spec(workdir, f"echo $PPID; cat {data_dir}/legato.db; exit 4"))
    assert code == 4
    assert int(lines.out[0]) != os.getpid()  # the shell's parent is the fork server
    assert forkserver.started()
    assert "database secret" not in lines.out and any("Permission denied" in e for e in lines.err)


def test_a_missing_program_exits_127_with_a_message(workdir: Path, data_dir: Path) -> None:
    command = spec(workdir, "")
    missing = type(command)(argv=["no-such-program-here"], workdir=workdir, env=command.env)
    code, lines = run(ProcessRunner(hidden=[data_dir]), missing)
    assert code == 127
    assert lines.err == ["legato: cannot run no-such-program-here: No such file or directory"]


def test_a_timed_out_forked_command_leaves_nothing_behind(workdir: Path, data_dir: Path, marker: str) -> None:
    script = f"trap '' TERM; sleep {marker}.1 & sh -c 'sleep {marker}.2' & wait"
    started = time.monotonic()
    with pytest.raises(CommandTimedOut):
        run(ProcessRunner(hidden=[data_dir], kill_grace=0.3), spec(workdir, script, timeout=0.5))
    assert time.monotonic() - started < 5
    assert processes_left(f"sleep {marker}") == []


def test_a_killed_fork_server_is_replaced(workdir: Path, data_dir: Path) -> None:
    run(ProcessRunner(hidden=[data_dir]), spec(workdir, "true"))
    server = forkserver.shared()
    os.kill(server._proc.pid, signal.SIGKILL)
    server._proc.wait()
    deadline = time.monotonic() + 5
    while server.alive and time.monotonic() < deadline:
        time.sleep(0.01)
    code, lines = run(ProcessRunner(hidden=[data_dir]), spec(workdir, "echo again"))
    assert (code, lines.out) == (0, ["again"])
    assert forkserver.shared() is not server
