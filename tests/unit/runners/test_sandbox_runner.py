"""The sandbox runner (bubblewrap): read-only system, writable working dir, private /tmp, hidden data dir,
no network unless asked, nothing left running after a timeout."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import pytest

from legato.runners.base import CommandTimedOut, RunnerError
from legato.runners.sandbox import SandboxRunner, bwrap_path
from tests.unit.runners.conftest import processes_left, run, spec

needs_bwrap = pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap (bwrap) is not installed")


@needs_bwrap
def test_only_the_working_dir_is_writable(workdir: Path) -> None:
    # a host folder outside /tmp (the sandbox's /tmp is its own, so writing there proves nothing)
    host_dir = Path(tempfile.mkdtemp(dir="/var/tmp"))
    outside = host_dir / "outside.txt"
    tag = uuid.uuid4().hex
    script = (
        f"echo data > result.txt && echo wrote-workdir; "
        f"echo x > {outside} || echo refused-outside; "
        f"echo x > /usr/legato-{tag} || echo refused-usr; "
        f"echo x > /tmp/private-{tag} && echo wrote-tmp"
    )
    code, lines = run(SandboxRunner(), spec(workdir, script))
    assert code == 0
    assert {"wrote-workdir", "refused-outside", "refused-usr", "wrote-tmp"} <= set(lines.out)
    assert (workdir / "result.txt").read_text() == "data\n"
    assert not outside.exists()
    assert not Path(f"/usr/legato-{tag}").exists()
    assert not Path(f"/tmp/private-{tag}").exists()  # the sandbox's /tmp was its own
    host_dir.rmdir()


@needs_bwrap
def test_the_data_dir_is_hidden(workdir: Path, data_dir: Path) -> None:
    _, lines = run(SandboxRunner(hidden=[data_dir]), spec(workdir, f"cat {data_dir}/legato.db; ls -A {data_dir}; echo end"))
    assert "database secret" not in lines.out
    assert lines.out == ["end"]  # the folder is there, empty


@needs_bwrap
def test_network_is_off_unless_asked(workdir: Path) -> None:
    interfaces = "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '"
    _, closed = run(SandboxRunner(), spec(workdir, interfaces))
    _, opened = run(SandboxRunner(network=True), spec(workdir, interfaces))
    assert closed.out == ["lo"]
    assert set(opened.out) > {"lo"}


@needs_bwrap
def test_the_command_sees_only_its_own_processes(workdir: Path) -> None:
    _, lines = run(SandboxRunner(), spec(workdir, "ls /proc | grep -c '^[0-9]'"))
    assert int(lines.out[0]) <= 4


@needs_bwrap
def test_timeout_leaves_nothing_running(workdir: Path, marker: str) -> None:
    with pytest.raises(CommandTimedOut):
        run(SandboxRunner(kill_grace=0.3), spec(workdir, f"sleep {marker}.1 & setsid sleep {marker}.2 & wait", timeout=0.5))
    assert processes_left(f"sleep {marker}") == []


def test_missing_bubblewrap_is_a_clear_error(workdir: Path) -> None:
    runner = SandboxRunner()
    runner.bwrap = None
    with pytest.raises(RunnerError, match=r"needs bubblewrap.*apt-get install bubblewrap"):
        run(runner, spec(workdir, "true"))
