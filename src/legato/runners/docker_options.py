"""What a task asks of its container (Kestra's Docker task runner properties) and the body of the Engine API's
POST /containers/create that says it, with the mounts checked against the folders a script must never see."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from legato.runners.base import CommandSpec, RunnerError
from legato.runners.container_files import CONTAINER_WORKDIR, container_env, helper_paths

DEFAULT_IMAGE = "ubuntu:24.04"
PullPolicy = Literal["ALWAYS", "IF_NOT_PRESENT", "NEVER"]
FileHandling = Literal["MOUNT", "VOLUME"]
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_PORT = re.compile(r"^(?:(?P<ip>\d+\.\d+\.\d+\.\d+|\[[0-9a-fA-F:]+\]):)?(?:(?P<host>\d*):)?(?P<port>\d+)(?:/(?P<proto>tcp|udp|sctp))?$")


@dataclass(frozen=True)
class DockerOptions:
    """What a task asks of its container; names follow Kestra's Docker task runner. `entry_point` defaults to
    [""] as in Kestra: the image's entry point is replaced, so the command runs as written."""

    image: str = DEFAULT_IMAGE
    pull_policy: PullPolicy = "IF_NOT_PRESENT"
    host: str | None = None
    user: str | None = None
    entry_point: Sequence[str] | None = ("",)
    network_mode: str | None = None
    volumes: Sequence[str] = ()
    port_bindings: Sequence[str] = ()
    cpus: float | None = None
    memory: str | None = None
    memory_swap: str | None = None
    memory_reservation: str | None = None
    memory_swappiness: int | None = None
    oom_kill_disable: bool | None = None
    shm_size: str | None = None
    extra_hosts: Sequence[str] = ()
    privileged: bool = False
    delete: bool = True
    credentials: Mapping[str, str] = field(default_factory=dict)
    file_handling: FileHandling | None = None  # None: MOUNT for a local engine and a root worker, else VOLUME
    hidden: tuple[Path, ...] = ()  # folders never mounted into a container (the data dir)


def parse_size(value: str | int) -> int:
    """Bytes from "512Mb", "1g", "256m" or a number of bytes."""
    if isinstance(value, int):
        return value
    match = _SIZE.match(value)
    if not match:
        raise RunnerError(f"invalid size {value!r}: write a number with an optional unit such as 512Mb or 2g")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def port_bindings(specs: Sequence[str]) -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, str]]]]:
    """ExposedPorts and PortBindings from `docker run -p` forms: 8080:80, 127.0.0.1:8080:80/udp, 80."""
    exposed: dict[str, dict[str, Any]] = {}
    bindings: dict[str, list[dict[str, str]]] = {}
    for spec in specs:
        match = _PORT.match(spec.strip())
        if not match:
            raise RunnerError(f"invalid port binding {spec!r}: write [ip:]hostPort:containerPort[/protocol], e.g. 127.0.0.1:8080:80")
        key = f"{match['port']}/{match['proto'] or 'tcp'}"
        exposed[key] = {}
        bindings.setdefault(key, []).append({"HostIp": (match["ip"] or "").strip("[]"), "HostPort": match["host"] or ""})
    return exposed, bindings


def check_mounts(options: DockerOptions, workdir: Path | None) -> None:
    """Refuse a bind mount that would show a hidden folder (the data dir) to the container: a volume at, above or
    under it; a working dir above it (one under it, made there by the worker, shows only itself)."""
    hidden = [p.resolve() for p in options.hidden]
    sources = [(v, Path(v.split(":", 1)[0]).resolve(), True) for v in options.volumes if is_host_path(v)]
    if workdir is not None:
        sources.append(("the working directory", workdir.resolve(), False))
    for what, path, under_counts in sources:
        for secret in hidden:
            if secret.is_relative_to(path) or (under_counts and path.is_relative_to(secret)):
                raise RunnerError(f"refused to mount {what} into the container: it would show {secret}, which "
                                  "scripts must not see (Legato's data dir)")


def create_body(options: DockerOptions, spec: CommandSpec, image: str, labels: Mapping[str, str], *,
                mount: bool) -> dict[str, Any]:
    """The body of POST /containers/create for this command. With `mount`, the working dir is bind-mounted at
    its own path and the helper folders read-only; otherwise both are copied in (see container_files)."""
    workdir = str(spec.workdir) if mount else CONTAINER_WORKDIR
    host_config: dict[str, Any] = {"Privileged": options.privileged or None, **_limits(options)}
    binds = list(options.volumes)
    if mount:
        binds.append(f"{spec.workdir}:{spec.workdir}")
        for name, inside in helper_paths(spec.helpers).items():
            binds += [f"{host}:{there}:ro" for host, there in zip(spec.helpers[name], inside, strict=True)]
    host_config["Binds"] = binds or None
    for key, value in (("NetworkMode", options.network_mode), ("ExtraHosts", list(options.extra_hosts) or None)):
        host_config[key] = value
    body: dict[str, Any] = {
        "Image": image,
        "Cmd": list(spec.argv),
        "Env": [f"{k}={v}" for k, v in sorted(container_env(spec.env, spec.helpers, workdir).items())],
        "WorkingDir": workdir,
        "Labels": dict(labels),
        "AttachStdout": True,
        "AttachStderr": True,
        "Tty": False,
        "HostConfig": {k: v for k, v in host_config.items() if v is not None},
    }
    if options.port_bindings:
        body["ExposedPorts"], body["HostConfig"]["PortBindings"] = port_bindings(options.port_bindings)
    if options.user:
        body["User"] = options.user
    if options.entry_point is not None:
        body["Entrypoint"] = list(options.entry_point)
    return body


def _limits(options: DockerOptions) -> dict[str, Any]:
    """CPU, memory and /dev/shm limits in the engine's units (nano CPUs, bytes)."""
    unlimited_swap = (options.memory_swap or "").strip() == "-1"
    sizes = {"Memory": options.memory, "MemorySwap": None if unlimited_swap else options.memory_swap,
             "MemoryReservation": options.memory_reservation, "ShmSize": options.shm_size}
    out: dict[str, Any] = {k: parse_size(v) for k, v in sizes.items() if v}
    if unlimited_swap:
        out["MemorySwap"] = -1
    if options.cpus is not None:
        out["NanoCpus"] = int(options.cpus * 1_000_000_000)
    if options.memory_swappiness is not None:
        out["MemorySwappiness"] = options.memory_swappiness
    if options.oom_kill_disable is not None:
        out["OomKillDisable"] = options.oom_kill_disable
    return out


def is_host_path(volume: str) -> bool:
    """Whether a `volumes` entry binds a host path (rather than naming a Docker volume)."""
    return PurePosixPath(volume.split(":", 1)[0]).is_absolute()
