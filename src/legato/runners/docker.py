"""The `docker` runner: the command runs in a container through the Docker Engine API.

Files: with a local engine and a root worker (or `fileHandlingStrategy: MOUNT`) the working dir is bind-mounted at
its own path, so `{{ workingDir }}` is the same inside and out; otherwise (a remote engine, `VOLUME`) it is copied
in before the start and back after the end, at /legato/work. Output is read from the attached streams as it comes,
and the container is removed whatever happens (success, failure, timeout, kill); one left by a worker that died is
removed by the next one (see docker_reaper)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from legato.model.ids import new_id
from legato.runners import docker_reaper
from legato.runners.base import CommandSpec, CommandTimedOut, LineSink, RunnerError
from legato.runners.container_files import CONTAINER_WORKDIR, extract_workdir, stage_archive
from legato.runners.docker_api import EngineAddress, EngineClient, EngineError, demux, engine_address
from legato.runners.docker_options import DockerOptions, check_mounts, create_body
from legato.runners.docker_pull import ensure_image

log = logging.getLogger("legato.runners")
_DRAIN_SECONDS = 5.0  # after the exit, how long the rest of the output may take to arrive
_MAX_LINE = 1 << 24


class DockerRunner:
    """Runs commands in containers of a Docker-compatible engine."""

    name = "docker"

    def __init__(self, options: DockerOptions, address: EngineAddress | None = None) -> None:
        self.options = options
        self.address = address or engine_address(options.host)
        self.mount = mounts_workdir(options, self.address)

    def visible_workdir(self, workdir: Path) -> str:
        return str(workdir) if self.mount else CONTAINER_WORKDIR

    async def run(self, spec: CommandSpec, on_line: LineSink) -> int:
        image = spec.image or self.options.image
        note = spec.note or log.info
        check_mounts(self.options, spec.workdir)  # mounted or copied in: the same rule
        async with EngineClient(self.address) as engine:
            await docker_reaper.reap_once(engine)
            try:
                await ensure_image(engine, image, self.options.pull_policy, self.options.credentials, note)
                labels = docker_reaper.labels(dict(spec.labels), keep=not self.options.delete)
                body = create_body(self.options, spec, image, labels, mount=self.mount)
                name = f"legato-{new_id()[:12].lower()}"
                created = await engine.json("POST", "/containers/create", params={"name": name}, body=body)
            except EngineError as exc:
                raise RunnerError(f"the Docker engine at {self.address} refused the container: {exc}") from None
            container = str(created["Id"])
            try:
                return await self._run_container(engine, container, spec, on_line)
            except EngineError as exc:
                raise RunnerError(f"the Docker engine at {self.address} failed to run the container: {exc}") from None
            finally:
                await _finish(self.address, container, remove=self.options.delete)

    async def start(self, spec: CommandSpec) -> str:
        """Create and start the container without waiting for it (docker.Run with `wait: false`): it goes on
        running, labelled as kept, with its files copied in; returns its id."""
        if self.mount:
            raise RunnerError("a container that outlives its task cannot mount the task's working directory")
        check_mounts(self.options, spec.workdir)
        async with EngineClient(self.address) as engine:
            try:
                await ensure_image(engine, spec.image or self.options.image, self.options.pull_policy,
                                   self.options.credentials, spec.note or log.info)
                labels = docker_reaper.labels(dict(spec.labels), keep=True)
                body = create_body(self.options, spec, spec.image or self.options.image, labels, mount=False)
                created = await engine.json("POST", "/containers/create",
                                            params={"name": f"legato-{new_id()[:12].lower()}"}, body=body)
            except EngineError as exc:
                raise RunnerError(f"the Docker engine at {self.address} refused the container: {exc}") from None
            container = str(created["Id"])
            try:
                archive = await asyncio.to_thread(stage_archive, spec.workdir, spec.helpers)
                await engine.call("PUT", f"/containers/{container}/archive", params={"path": "/"}, content=archive,
                                  headers={"Content-Type": "application/x-tar"})
                await engine.call("POST", f"/containers/{container}/start")
            except BaseException as exc:
                await _finish(self.address, container, remove=True)
                if isinstance(exc, EngineError):
                    raise RunnerError(f"the Docker engine at {self.address} could not start the container: {exc}") from None
                raise
        return container

    async def _run_container(self, engine: EngineClient, container: str, spec: CommandSpec, on_line: LineSink) -> int:
        if not self.mount:
            archive = await asyncio.to_thread(stage_archive, spec.workdir, spec.helpers)
            await engine.call("PUT", f"/containers/{container}/archive", params={"path": "/"}, content=archive,
                              headers={"Content-Type": "application/x-tar"})
        async with contextlib.AsyncExitStack() as stack:
            # attach and wait are listening before the start, so no output and no exit can be missed
            output = await stack.enter_async_context(engine.stream(
                "POST", f"/containers/{container}/attach", params={"stream": "1", "stdout": "1", "stderr": "1"}))
            exited = await stack.enter_async_context(engine.stream(
                "POST", f"/containers/{container}/wait", params={"condition": "next-exit"}))
            await engine.call("POST", f"/containers/{container}/start")
            pump = asyncio.create_task(_pump(output, on_line), name="docker-output")
            try:
                async with asyncio.timeout(spec.timeout):
                    status = await _exit_status(exited)
            except TimeoutError:
                pump.cancel()
                raise CommandTimedOut(spec.timeout or 0) from None
            except BaseException:
                pump.cancel()
                raise
            await _settle(pump)
        if not self.mount:
            copied = await engine.call("GET", f"/containers/{container}/archive", params={"path": CONTAINER_WORKDIR},
                                       timeout=None)
            await asyncio.to_thread(extract_workdir, copied.content, spec.workdir)
        code = int(status.get("StatusCode", 1))
        if code == 137 and await _oom_killed(engine, container):
            on_line(f"The container was killed: out of memory (memory limit {self.options.memory or 'of the engine'})", True)
        return code


def mounts_workdir(options: DockerOptions, address: EngineAddress) -> bool:
    """Whether the working dir is bind-mounted (see the module's doc) rather than copied."""
    if options.file_handling is not None:
        if options.file_handling == "MOUNT" and not address.local:
            raise RunnerError(f"fileHandlingStrategy MOUNT needs an engine on this machine, not {address}")
        return options.file_handling == "MOUNT"
    # a root worker can read and remove whatever the container writes as any user, so a mount loses nothing
    return address.local and os.geteuid() == 0 and not options.user


async def _exit_status(exited: AsyncIterator[bytes]) -> dict[str, Any]:
    body = b"".join([chunk async for chunk in exited])
    try:
        status = json.loads(body)
    except ValueError:
        raise EngineError(f"unexpected answer to wait: {body[:200]!r}") from None
    if (status.get("Error") or {}).get("Message"):
        raise EngineError(f"waiting for the container failed: {status['Error']['Message']}")
    return dict(status)


async def _pump(output: AsyncIterator[bytes], on_line: LineSink) -> None:
    """Hand every line of the container's output to `on_line` as it arrives."""
    pending = {False: b"", True: b""}
    async for is_stderr, payload in demux(output):
        *lines, rest = (pending[is_stderr] + payload).split(b"\n")
        for line in lines:
            on_line(_text(line), is_stderr)
        while len(rest) >= _MAX_LINE:
            on_line(_text(rest[:_MAX_LINE]), is_stderr)
            rest = rest[_MAX_LINE:]
        pending[is_stderr] = rest
    for is_stderr, rest in pending.items():
        if rest:
            on_line(_text(rest), is_stderr)


async def _settle(pump: asyncio.Task[None]) -> None:
    try:
        await asyncio.wait_for(asyncio.shield(pump), _DRAIN_SECONDS)
    except TimeoutError:
        pump.cancel()
        log.warning("the container's output did not end %s s after it exited; stopped reading it", _DRAIN_SECONDS)
    except EngineError as exc:
        log.warning("reading the container's output failed: %s", exc)


async def _oom_killed(engine: EngineClient, container: str) -> bool:
    with contextlib.suppress(EngineError):
        state = (await engine.json("GET", f"/containers/{container}/json") or {}).get("State") or {}
        return bool(state.get("OOMKilled"))
    return False


async def _finish(address: EngineAddress, container: str, *, remove: bool) -> None:
    """Remove the container (or only stop it, with `delete: false`), even when the run is being cancelled: the
    work happens in a task of its own, on a client of its own."""
    job = asyncio.create_task(_remove(address, container, remove), name=f"docker-remove:{container}")
    try:
        await asyncio.shield(job)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(job, 10)
        raise


async def _remove(address: EngineAddress, container: str, remove: bool) -> None:
    async with EngineClient(address, timeout=30.0) as engine:
        try:
            if remove:
                await engine.call("DELETE", f"/containers/{container}", params={"force": "1", "v": "1"})
            else:
                await engine.call("POST", f"/containers/{container}/kill")
        except EngineError as exc:
            if exc.status not in (404, 409):  # gone already, or not running (kill)
                log.warning("could not %s container %s: %s", "remove" if remove else "stop", container[:12], exc)


def _text(raw: bytes) -> str:
    return raw.removesuffix(b"\r").decode("utf-8", errors="replace")

