"""The spare sandbox a worker keeps (`isolated.Sandboxes.prepare`): the first namespace to need a sandbox takes
it, the next namespace gets another one, and a namespace keeps the sandbox it took."""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path

import pytest

from legato.runners import forkserver, isolated, isolation
from legato.runners.base import RunnerError
from tests.unit.runners.conftest import run, spec

pytestmark = pytest.mark.skipif(isolation.probe() is not None, reason="sandboxes cannot be made here")


def _pid_namespace(runner: isolated.IsolatedRunner, namespace: str) -> str:
    """The PID namespace a command of `namespace` runs in, as the command itself reads it."""
    workdir = Path(tempfile.mkdtemp(prefix="legato-run-"))
    code, lines = run(runner, dataclasses.replace(spec(workdir, "readlink /proc/self/ns/pid"), namespace=namespace))
    assert code == 0, lines.err
    return lines.out[0]


def test_a_spare_sandbox_goes_to_one_namespace_only() -> None:
    # a pool of its own, not the process's shared one
    pool = isolated.Sandboxes(isolation.Policy(network="none"))
    runner = isolated.IsolatedRunner(pool, warm=False)
    try:
        interpreter = forkserver.default_interpreter()
        pool.prepare(interpreter)
        spare = pool._spares[(interpreter, (), ())].future.result()
        first = _pid_namespace(runner, "team.a")
        assert pool.server(isolated.SandboxKey("team.a", interpreter, (), ())) is spare
        second = _pid_namespace(runner, "team.b")
        assert first != second  # the spare went to team.a; team.b took the one started behind it
        assert _pid_namespace(runner, "team.a") == first  # and team.a keeps its own
        assert _pid_namespace(runner, "team.b") == second
    finally:
        pool.close()


def test_the_spare_behind_a_taken_one_waits_for_a_pause_unless_a_namespace_asks(monkeypatch: pytest.MonkeyPatch) -> None:
    # the start behind a taken spare takes CPU the flow that took it would wait for: it waits for the worker's
    # commands to pause (here: never, within the test), but a second namespace asking for it starts it at once
    monkeypatch.setattr(isolated, "_REFILL_IDLE_SECONDS", 600.0)
    monkeypatch.setattr(isolated, "_REFILL_LATEST_SECONDS", 600.0)
    pool = isolated.Sandboxes(isolation.Policy(network="none"))
    runner = isolated.IsolatedRunner(pool, warm=False)
    try:
        interpreter = forkserver.default_interpreter()
        pool.prepare(interpreter)
        assert pool.spares_ready(60)  # the first spare starts at once
        first = _pid_namespace(runner, "team.a")
        behind = pool._spares[(interpreter, (), ())]
        time.sleep(0.2)
        assert not behind.future.done()  # waiting for a pause
        second = _pid_namespace(runner, "team.b")
        assert behind.future.done()  # team.b asked: started at once, and team.b took it
        assert pool._running[isolated.SandboxKey("team.b", interpreter, (), ())] is behind.future.result()
        assert first != second
    finally:
        pool.close()


def test_a_command_runs_when_the_spare_could_not_start(monkeypatch: pytest.MonkeyPatch) -> None:
    pool = isolated.Sandboxes(isolation.Policy(network="none"))
    runner = isolated.IsolatedRunner(pool, warm=False)
    started = pool._start
    calls = []

    def failing_once(key: isolated.SandboxKey) -> forkserver.ForkServer:
        calls.append(key)
        if len(calls) == 1:
            raise RunnerError("the spare did not start")
        return started(key)

    monkeypatch.setattr(pool, "_start", failing_once)
    try:
        pool.prepare(forkserver.default_interpreter())
        assert _pid_namespace(runner, "team.a").startswith("pid:[")
    finally:
        pool.close()


def test_a_released_spare_stops() -> None:
    pool = isolated.Sandboxes(isolation.Policy(network="none"))
    interpreter = forkserver.default_interpreter()
    try:
        pool.prepare(interpreter)
        pool.prepare(interpreter)  # two workers of one process
        spare = pool._spares[(interpreter, (), ())].future.result()
        pool.release(interpreter)
        assert spare.alive  # the other worker still wants it
        pool.release(interpreter)
        deadline = time.monotonic() + 10
        while spare.alive and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not spare.alive
    finally:
        pool.close()
