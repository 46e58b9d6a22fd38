"""The python-warm runner: a Python file runs in a fork of a pre-started interpreter with what a process
child gets (working dir, allow-listed environment, streams, exit code, helpers, hiding, timeout and kill);
anything else runs as with the process runner."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from legato.plugins.scripts import tools
from legato.runners import landlock
from legato.runners.base import CommandSpec, CommandTimedOut
from legato.runners.environment import script_environment
from legato.runners.warm import WarmPythonRunner, python_entry
from tests.unit.runners.conftest import processes_left, run


def python(workdir: Path, line: str, source: str, **kwargs: object) -> CommandSpec:
    (workdir / "script.py").write_text(source)
    return CommandSpec(argv=["/bin/sh", "-c", line], workdir=workdir, env=script_environment(str(workdir), {"MINE": "yes"}),
                       path_prefix=[tools.python_shims()], helpers={"PYTHONPATH": [tools.PYTHON_HELPERS]}, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(("line", "entry"), [
    ("python script.py", ("script.py", [])),
    ("python3 main.py a b", ("main.py", ["a", "b"])),
    ("python script.py > out.txt", None),
    ("python script.py $X", None),
    ("python -m http.server", None),
    ("echo hi", None),
    ("python 'script.py'", None),
])
def test_only_a_plain_python_file_is_run_warm(line: str, entry: tuple[str, list[str]] | None) -> None:
    assert python_entry(CommandSpec(argv=["/bin/sh", "-c", line], workdir=Path("/"), env={})) == entry


def test_a_script_runs_in_its_working_dir_with_its_environment(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_SECRET", "s3cr3t")
    source = """
import os, sys
from kestra import Kestra
Kestra.outputs({"cwd": os.getcwd(), "argv": sys.argv, "mine": os.environ["MINE"], "secret": os.environ.get("LEGATO_SECRET")})
print("to stderr", file=sys.stderr)
sys.exit(3)
"""
    code, lines = run(WarmPythonRunner(), python(workdir, "python script.py one", source))
    assert code == 3
    assert lines.out == [f'::{{"outputs":{{"cwd":"{workdir}","argv":["script.py","one"],"mine":"yes","secret":null}}}}::']
    assert lines.err == ["to stderr"]


def test_an_exception_shows_the_script_traceback_and_fails(workdir: Path) -> None:
    code, lines = run(WarmPythonRunner(), python(workdir, "python script.py", "x = 1\nraise ValueError('boom')\n"))
    assert code == 1
    assert lines.err[0] == "Traceback (most recent call last):"
    assert lines.err[1] == '  File "script.py", line 2, in <module>'
    assert lines.err[-1] == "ValueError: boom"


def test_threads_and_atexit_finish_before_the_exit(workdir: Path) -> None:
    source = """
import atexit, threading, time
atexit.register(lambda: print("atexit ran", flush=True))
threading.Thread(target=lambda: (time.sleep(0.2), print("thread done", flush=True))).start()
"""
    code, lines = run(WarmPythonRunner(), python(workdir, "python script.py", source))
    assert (code, lines.out) == (0, ["thread done", "atexit ran"])


def test_each_task_starts_from_the_same_fresh_state(workdir: Path) -> None:
    source = "import kestra\nprint(getattr(kestra, 'seen', 'fresh'))\nkestra.seen = 'dirty'\n"
    runner = WarmPythonRunner()
    assert [run(runner, python(workdir, "python script.py", source))[1].out for _ in range(2)] == [["fresh"], ["fresh"]]


def test_a_shell_command_runs_as_with_the_process_runner(workdir: Path) -> None:
    code, lines = run(WarmPythonRunner(), python(workdir, "python script.py | tr a-z A-Z", "print('hi')"))
    assert (code, lines.out) == (0, ["HI"])


def test_a_timed_out_script_and_its_children_are_killed(workdir: Path, marker: str) -> None:
    source = f"import subprocess, time\nsubprocess.Popen(['sleep', '{marker}.7'])\ntime.sleep(60)\n"
    started = time.monotonic()
    with pytest.raises(CommandTimedOut):
        run(WarmPythonRunner(kill_grace=0.3), python(workdir, "python script.py", source, timeout=1.0))
    assert time.monotonic() - started < 6
    assert processes_left(f"sleep {marker}") == []


@pytest.mark.skipif(landlock.abi_version() == 0, reason="this kernel has no Landlock")
def test_the_data_dir_is_unreadable(workdir: Path, data_dir: Path) -> None:
    source = f"""
try:
    print(open("{data_dir}/legato.db").read())
except PermissionError:
    print("denied")
open("mine.txt", "w").write("x")
print(open("mine.txt").read())
"""
    code, lines = run(WarmPythonRunner(hidden=[data_dir]), python(workdir, "python script.py", source))
    assert (code, lines.out) == (0, ["denied", "x"])
