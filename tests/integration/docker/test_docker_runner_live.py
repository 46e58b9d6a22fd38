"""The docker runner against the real engine: output, exit codes and files in both file modes, limits, user,
network modes, pull policies, and no container left after success, failure, timeout, cancellation or the death
of the process that started it."""

from __future__ import annotations

import asyncio
import http.server
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.docker.conftest import Engine, command, run_in
from tests.unit.runners.conftest import Lines

from legato.runners import docker_reaper
from legato.runners.base import CommandTimedOut, RunnerError
from legato.runners.docker import DockerRunner
from legato.runners.docker_api import engine_address
from legato.runners.docker_options import DockerOptions

PYTHON = "python:3.11-slim"


@pytest.fixture
def tag() -> dict[str, str]:
    """A label naming this test's containers."""
    return {"io.legato.test": uuid.uuid4().hex[:12]}


@pytest.mark.parametrize("files", ["MOUNT", "VOLUME"])
def test_output_exit_code_and_files(engine: Engine, workdir: Path, tag: dict[str, str], files: str) -> None:
    (workdir / "in.txt").write_text("input\n")
    code, lines = run_in(DockerOptions(image=PYTHON, file_handling=files), workdir,  # type: ignore[arg-type]
                         'cat in.txt; echo "to stderr" >&2; echo "$WORKING_DIR" > where.txt; echo made > out.txt; exit 3',
                         labels=tag)
    assert code == 3
    assert lines.out == ["input"] and lines.err == ["to stderr"]
    assert (workdir / "out.txt").read_text() == "made\n"
    expected = str(workdir) if files == "MOUNT" else "/legato/work"  # {{ workingDir }} as the command sees it
    assert (workdir / "where.txt").read_text().strip() == expected
    assert engine.containers(io_legato_test=tag["io.legato.test"]) == []


def test_the_kestra_helper_and_the_images_path(engine: Engine, workdir: Path) -> None:
    from legato.plugins.scripts import tools

    runner = DockerRunner(DockerOptions(image=PYTHON), engine_address())
    spec = command(workdir, 'echo "$PATH"; python -c "from kestra import Kestra; Kestra.outputs({\'a\': 1})"',
                   helpers={"PYTHONPATH": [tools.PYTHON_HELPERS]}, path_prefix=[Path("/host/only/bin")])
    lines = Lines()
    assert asyncio.run(runner.run(spec, lines)) == 0
    assert "/host/only" not in lines.out[0] and "/usr/bin" in lines.out[0]  # the image's PATH
    assert lines.out[1] == '::{"outputs":{"a":1}}::'


def test_a_timeout_kills_and_removes_the_container(engine: Engine, workdir: Path, tag: dict[str, str]) -> None:
    started = time.monotonic()
    with pytest.raises(CommandTimedOut):
        run_in(DockerOptions(image=PYTHON), workdir, "echo begin; sleep 60", labels=tag, timeout=1.5)
    assert time.monotonic() - started < 20
    assert engine.containers(io_legato_test=tag["io.legato.test"]) == []


def test_a_cancelled_run_kills_and_removes_the_container(engine: Engine, workdir: Path, tag: dict[str, str]) -> None:
    runner = DockerRunner(DockerOptions(image=PYTHON), engine_address())
    lines = Lines()

    async def cancel_when_running() -> None:
        job = asyncio.create_task(runner.run(command(workdir, "echo running; sleep 60", labels=tag), lines))
        while "running" not in lines.out:
            await asyncio.sleep(0.05)
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job

    asyncio.run(asyncio.wait_for(cancel_when_running(), 60))
    assert engine.containers(io_legato_test=tag["io.legato.test"]) == []


def test_limits_and_user(engine: Engine, workdir: Path) -> None:
    options = DockerOptions(image=PYTHON, cpus=0.5, memory="64m", user="1000:1000")
    code, lines = run_in(options, workdir, "id -u; cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us "
                         "/sys/fs/cgroup/memory/memory.limit_in_bytes; echo mine > mine.txt")
    assert code == 0, lines.err
    assert lines.out == ["1000", "50000", str(64 << 20)]
    assert (workdir / "mine.txt").read_text() == "mine\n"  # a non-root user writes its working dir


def test_over_the_memory_limit_the_container_is_killed_and_says_why(engine: Engine, workdir: Path) -> None:
    code, lines = run_in(DockerOptions(image=PYTHON, memory="48m", memory_swap="48m"), workdir,
                         "python -c 'b = bytearray(400 << 20); print(len(b))'")
    assert code == 137
    assert any("out of memory (memory limit 48m)" in line for line in lines.err)


@pytest.fixture
def local_http() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("mode", "reaches"), [(None, False), ("none", False), ("host", True)])
def test_network_modes(engine: Engine, workdir: Path, local_http: int, mode: str | None, reaches: bool) -> None:
    script = (f"python -c \"import urllib.request as u; print(u.urlopen('http://127.0.0.1:{local_http}/', "
              "timeout=3).status)\"")
    code, lines = run_in(DockerOptions(image=PYTHON, network_mode=mode), workdir, script)
    assert (code == 0 and lines.out == ["200"]) is reaches


def test_pull_policies_without_a_registry(engine: Engine, workdir: Path) -> None:
    missing = "legato-test/missing-image:1"
    with pytest.raises(RunnerError, match=f"image {missing} is not on the Docker engine .* pullPolicy is NEVER"):
        run_in(DockerOptions(image=missing, pull_policy="NEVER"), workdir, "true")
    with pytest.raises(RunnerError, match=f"image {missing} is not on the Docker engine .* pulling it failed"):
        run_in(DockerOptions(image=missing, pull_policy="IF_NOT_PRESENT"), workdir, "true")
    notes: list[str] = []
    code, lines = run_in(DockerOptions(image=PYTHON, pull_policy="ALWAYS"), workdir, "echo ran", note=notes.append)
    assert code == 0 and lines.out == ["ran"]
    assert len(notes) == 1 and notes[0].startswith(f"Pulling image {PYTHON} failed")


def test_delete_false_keeps_the_container(engine: Engine, workdir: Path, tag: dict[str, str]) -> None:
    assert run_in(DockerOptions(image=PYTHON, delete=False), workdir, "true", labels=tag)[0] == 0
    kept = engine.containers(io_legato_test=tag["io.legato.test"])
    try:
        assert len(kept) == 1 and kept[0]["State"] == "exited" and kept[0]["Labels"][docker_reaper.KEEP] == "true"
    finally:
        for container in kept:
            engine.remove(container["Id"])


def test_the_reaper_removes_containers_whose_worker_is_gone(engine: Engine, tag: dict[str, str]) -> None:
    host, boot, _, _ = docker_reaper.owner_label().split("/")
    owners = {"dead": f"{host}/{boot}/999999999/1", "alive": docker_reaper.owner_label(),
              "elsewhere": f"another-host/{boot}/1/1", "kept": f"{host}/{boot}/999999999/1"}
    ids = {}
    with engine.client() as client:
        for name, owner in owners.items():
            labels = {docker_reaper.MANAGED: "true", docker_reaper.OWNER: owner, **tag}
            if name == "kept":
                labels[docker_reaper.KEEP] = "true"
            body = {"Image": PYTHON, "Cmd": ["sleep", "60"], "Labels": labels}
            ids[name] = client.post("/v1.41/containers/create", json=body).json()["Id"]
            client.post(f"/v1.41/containers/{ids[name]}/start").raise_for_status()
    try:
        removed = asyncio.run(docker_reaper.reap_at(engine_address()))
        left = {c["Id"] for c in engine.containers(io_legato_test=tag["io.legato.test"])}
        assert left == {ids["alive"], ids["elsewhere"], ids["kept"]}
        # Another test's worker starting meanwhile (a parallel run) may have reaped the dead one first.
        assert all(removed), removed
    finally:
        for container_id in ids.values():
            engine.remove(container_id)
