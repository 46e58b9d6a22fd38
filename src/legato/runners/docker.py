"""The `docker` runner: the command runs in a container through the Docker Engine API. The working dir
and the helper folders are copied into the container before it starts, and the working dir is copied
back when it ends, so input and output files work as under the other runners."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import re
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from legato.model.ids import new_id
from legato.runners.base import CommandSpec, CommandTimedOut, LineSink, RunnerError
from legato.runners.docker_api import EngineClient, EngineError, demux, engine_address

CONTAINER_WORKDIR = "/legato/work"
CONTAINER_HELPERS = "/legato/helpers"
DEFAULT_IMAGE = "ubuntu:24.04"
PullPolicy = Literal["ALWAYS", "IF_NOT_PRESENT", "NEVER"]
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


@dataclass(frozen=True)
class DockerOptions:
    """What a task asks of its container; names follow Kestra's Docker task runner."""

    image: str = DEFAULT_IMAGE
    pull_policy: PullPolicy = "IF_NOT_PRESENT"
    host: str | None = None
    user: str | None = None
    entry_point: Sequence[str] | None = None
    network_mode: str | None = None
    volumes: Sequence[str] = ()
    cpus: float | None = None
    memory: str | None = None
    memory_swap: str | None = None
    shm_size: str | None = None
    extra_hosts: Sequence[str] = ()
    privileged: bool = False
    delete: bool = True
    credentials: Mapping[str, str] = field(default_factory=dict)


def parse_size(value: str | int) -> int:
    """Bytes from "512Mb", "1g", "256m" or a number of bytes."""
    if isinstance(value, int):
        return value
    match = _SIZE.match(value)
    if not match:
        raise RunnerError(f"invalid size {value!r}: write a number with an optional unit such as 512Mb or 2g")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def container_env(env: Mapping[str, str], helpers: Mapping[str, Sequence[Path]]) -> dict[str, str]:
    """The environment inside the container: host paths replaced by their container counterparts, and
    PATH left to the image."""
    out = {k: v for k, v in env.items() if k != "PATH"}
    out["HOME"] = out["WORKING_DIR"] = CONTAINER_WORKDIR
    if "OUTPUT_DIR" in out:
        out["OUTPUT_DIR"] = f"{CONTAINER_WORKDIR}/{Path(out['OUTPUT_DIR']).name}"
    for name, folders in helpers.items():
        inside = [f"{CONTAINER_HELPERS}/{name}/{i}" for i in range(len(folders))]
        out[name] = ":".join([*inside, *([env[name]] if env.get(name) else [])])
    return out


def create_body(options: DockerOptions, spec: CommandSpec, name: str) -> dict[str, Any]:
    """The body of POST /containers/create for this command."""
    env = container_env(spec.env, spec.helpers)
    host_config: dict[str, Any] = {"Binds": list(options.volumes) or None, "Privileged": options.privileged}
    if options.network_mode:
        host_config["NetworkMode"] = options.network_mode
    if options.cpus is not None:
        host_config["NanoCpus"] = int(options.cpus * 1_000_000_000)
    if options.memory:
        host_config["Memory"] = parse_size(options.memory)
    if options.memory_swap:
        host_config["MemorySwap"] = parse_size(options.memory_swap)
    if options.shm_size:
        host_config["ShmSize"] = parse_size(options.shm_size)
    if options.extra_hosts:
        host_config["ExtraHosts"] = list(options.extra_hosts)
    body: dict[str, Any] = {
        "Image": options.image,
        "Cmd": list(spec.argv),
        "Env": [f"{k}={v}" for k, v in sorted(env.items())],
        "WorkingDir": CONTAINER_WORKDIR,
        "Labels": {"io.legato.runner": "docker", "io.legato.name": name},
        "AttachStdout": True,
        "AttachStderr": True,
        "Tty": False,
        "HostConfig": {k: v for k, v in host_config.items() if v is not None},
    }
    if options.user:
        body["User"] = options.user
    if options.entry_point is not None:
        body["Entrypoint"] = list(options.entry_point)
    return body


def stage_archive(workdir: Path, helpers: Mapping[str, Sequence[Path]]) -> bytes:
    """A tar of the working dir (as legato/work) and the helper folders (as legato/helpers/<VAR>/<n>), to PUT
    at / in the container. Folders are world-writable so that a non-root `user` can write its working dir."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        _add_dir(tar, "legato")
        _add_tree(tar, workdir, CONTAINER_WORKDIR.lstrip("/"))
        _add_dir(tar, CONTAINER_HELPERS.lstrip("/"))
        for name, folders in helpers.items():
            _add_dir(tar, f"{CONTAINER_HELPERS.lstrip('/')}/{name}")
            for i, folder in enumerate(folders):
                _add_tree(tar, folder, f"{CONTAINER_HELPERS.lstrip('/')}/{name}/{i}")
    return buffer.getvalue()


def extract_workdir(archive: bytes, workdir: Path) -> list[str]:
    """Unpack GET /containers/{id}/archive?path=<workdir> (whose entries start with `work/`) into `workdir`;
    links and special files are skipped and no entry may leave `workdir`. Returns the relative paths written."""
    written = []
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r") as tar:
        for member in tar.getmembers():
            parts = PurePosixPath(member.name).parts[1:]
            if not parts or not member.isfile() or any(p in ("..", "") for p in parts) or member.name.startswith("/"):
                continue
            target = workdir.joinpath(*parts)
            if not target.resolve().is_relative_to(workdir.resolve()):
                continue
            source = tar.extractfile(member)
            if source is None:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read())
            written.append("/".join(parts))
    return written


def pull_query(image: str) -> dict[str, str]:
    """The query of POST /images/create for `image` (name[:tag] or name@digest; the tag defaults to latest)."""
    if "@" in image:
        return {"fromImage": image}
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        repo, _, tag = image.rpartition(":")
        return {"fromImage": repo, "tag": tag}
    return {"fromImage": image, "tag": "latest"}


def registry_auth(credentials: Mapping[str, str]) -> str | None:
    """The X-Registry-Auth header for a pull, from Kestra-style credentials."""
    if not credentials:
        return None
    auth = {
        "username": credentials.get("username"), "password": credentials.get("password"),
        "serveraddress": credentials.get("registry"), "identitytoken": credentials.get("identityToken"),
        "registrytoken": credentials.get("registryToken"),
    }
    encoded = json.dumps({k: v for k, v in auth.items() if v}).encode()
    return base64.urlsafe_b64encode(encoded).decode()


class DockerRunner:
    """Runs commands in containers of a Docker-compatible engine."""

    name = "docker"

    def __init__(self, options: DockerOptions, client: EngineClient | None = None) -> None:
        self.options = options
        self.client = client or EngineClient(engine_address(options.host))

    def visible_workdir(self, workdir: Path) -> str:
        return CONTAINER_WORKDIR

    async def run(self, spec: CommandSpec, on_line: LineSink) -> int:
        image = spec.image or self.options.image
        options = self.options if image == self.options.image else _with_image(self.options, image)
        try:
            await asyncio.to_thread(self._pull, options)
            name = f"legato-{new_id()[:12].lower()}"
            created = await asyncio.to_thread(
                self.client.json, "POST", "/containers/create", query={"name": name}, body=create_body(options, spec, name)
            )
        except EngineError as exc:
            raise RunnerError(f"the Docker engine refused the container: {exc}") from None
        container = created["Id"]
        try:
            return await self._run_container(container, spec, on_line)
        finally:
            if options.delete:
                with contextlib.suppress(EngineError):
                    await asyncio.to_thread(self.client.call, "DELETE", f"/containers/{container}", query={"force": "1", "v": "1"})

    async def _run_container(self, container: str, spec: CommandSpec, on_line: LineSink) -> int:
        archive = stage_archive(spec.workdir, spec.helpers)
        await asyncio.to_thread(self.client.call, "PUT", f"/containers/{container}/archive", query={"path": "/"},
                                raw=archive, headers={"Content-Type": "application/x-tar"})
        await asyncio.to_thread(self.client.call, "POST", f"/containers/{container}/start")
        logs = asyncio.create_task(asyncio.to_thread(self._follow_logs, container, on_line), name="docker-logs")
        try:
            result = await asyncio.wait_for(
                asyncio.to_thread(self.client.json, "POST", f"/containers/{container}/wait", timeout=None), spec.timeout
            )
        except BaseException as exc:
            with contextlib.suppress(EngineError):
                await asyncio.shield(asyncio.to_thread(self.client.call, "POST", f"/containers/{container}/kill"))
            if isinstance(exc, TimeoutError):
                raise CommandTimedOut(spec.timeout or 0) from None
            raise
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(logs), 5.0)
        _, copied = await asyncio.to_thread(self.client.call, "GET", f"/containers/{container}/archive",
                                            query={"path": CONTAINER_WORKDIR})
        extract_workdir(copied, spec.workdir)
        return int(result.get("StatusCode", 1))

    def _pull(self, options: DockerOptions) -> None:
        if options.pull_policy == "NEVER":
            return
        if options.pull_policy == "IF_NOT_PRESENT":
            try:
                self.client.call("GET", f"/images/{options.image}/json")
                return
            except EngineError as exc:
                if exc.status != 404:
                    raise
        auth = registry_auth(options.credentials)
        self.client.call("POST", "/images/create", query=pull_query(options.image),
                         headers={"X-Registry-Auth": auth} if auth else None, timeout=None)

    def _follow_logs(self, container: str, on_line: LineSink) -> None:
        pending = {False: b"", True: b""}
        chunks = self.client.stream("GET", f"/containers/{container}/logs",
                                    query={"follow": "1", "stdout": "1", "stderr": "1"})
        for is_stderr, payload in demux(chunks):
            *lines, pending[is_stderr] = (pending[is_stderr] + payload).split(b"\n")
            for line in lines:
                on_line(line.removesuffix(b"\r").decode("utf-8", errors="replace"), is_stderr)
        for is_stderr, rest in pending.items():
            if rest:
                on_line(rest.decode("utf-8", errors="replace"), is_stderr)


def _with_image(options: DockerOptions, image: str) -> DockerOptions:
    return replace(options, image=image)


def _add_dir(tar: tarfile.TarFile, name: str) -> None:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o777
    tar.addfile(info)


def _add_tree(tar: tarfile.TarFile, root: Path, arcroot: str) -> None:
    _add_dir(tar, arcroot)
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            continue
        name = f"{arcroot}/{path.relative_to(root).as_posix()}"
        if path.is_dir():
            _add_dir(tar, name)
        elif path.is_file():
            info = tar.gettarinfo(str(path), arcname=name)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mode = 0o666 | (path.stat().st_mode & 0o111)
            with open(path, "rb") as handle:
                tar.addfile(info, handle)
