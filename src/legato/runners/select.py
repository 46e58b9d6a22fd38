"""From a task's `taskRunner` (or Kestra's older `runner`/`docker` properties) to a runner instance, with
the worker's settings: which folders to hide, the default runner, and what to do with a task that asks
for Docker where no engine is reachable (run it in the sandbox and say so, or fail).

`process` and `python-warm` (and so the default) run isolated (`legato.runners.isolated`); only the
operator can make them run unisolated, with LEGATO_UNSAFE_PROCESS_RUNNER=true."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from legato.runners import docker_api, isolated, isolation, kube_api
from legato.runners.base import Runner, RunnerError
from legato.runners.docker import DockerRunner
from legato.runners.docker_api import EngineAddress, EngineError, engine_address
from legato.runners.docker_options import DockerOptions
from legato.runners.kubernetes import KubeOptions, KubernetesRunner
from legato.runners.process import ProcessRunner
from legato.runners.sandbox import INSTALL_HINT, SandboxRunner, bwrap_path
from legato.runners.specs import (
    DockerRunnerSpec,
    KubernetesRunnerSpec,
    ProcessRunnerSpec,
    RunnerSpec,
    SandboxRunnerSpec,
    WarmPythonRunnerSpec,
)
from legato.runners.warm import WarmPythonRunner

_PING_TTL = 30.0
# where the container runners find their engine or cluster (kept from the worker's environment)
_CLUSTER_VARIABLES = ("DOCKER_HOST", "KUBECONFIG", "HOME", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT")
_reachable: dict[str, tuple[float, bool]] = {}


@dataclass(frozen=True)
class RunnerSettings:
    """The worker's runner configuration."""

    hidden: tuple[Path, ...] = ()
    default: Literal["process", "sandbox", "python-warm"] = "python-warm"
    docker_fallback: Literal["sandbox", "process", "fail"] = "sandbox"
    environ: Mapping[str, str] = field(default_factory=dict)
    unsafe: bool = False  # process and python-warm run unisolated (the operator's explicit choice)
    policy: isolation.Policy = field(default_factory=isolation.Policy)
    # Kestra's `volume-enabled`: whether the Docker runner's `volumes` (host folders) are mounted at all
    docker_volumes: bool = False
    # whether a task may ask for a privileged container (root on the host, in effect)
    docker_privileged: bool = False
    # The worker's SSRF guard for an API server a flow names (host, port): raises when the address is refused.
    # None only where runners are used alone (their tests); the worker always sets it.
    address_check: Callable[[str, int], object] | None = None
    # Docker engines besides the worker's own (DOCKER_HOST, else the default socket) that a flow's `host` may name
    docker_hosts: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, hidden: Sequence[Path] = (), environ: Mapping[str, str] | None = None,
                 address_check: Callable[[str, int], object] | None = None) -> RunnerSettings:
        """Settings from LEGATO_DATA_DIR / LEGATO_HIDDEN_PATHS (folders scripts must not see),
        LEGATO_DEFAULT_RUNNER (process|sandbox|python-warm), LEGATO_DOCKER_FALLBACK (sandbox|process|fail),
        LEGATO_UNSAFE_PROCESS_RUNNER, the sandbox policy's variables (`isolation.Policy.from_env`), and
        LEGATO_DOCKER_VOLUMES_ENABLED / LEGATO_DOCKER_PRIVILEGED_ENABLED (true|false, default false) and
        LEGATO_DOCKER_ALLOWED_HOSTS (comma-separated engine addresses a flow's `host` may name)."""
        env = os.environ if environ is None else environ
        paths = [*hidden]
        if env.get("LEGATO_DATA_DIR"):
            paths.append(Path(env["LEGATO_DATA_DIR"]))
        paths += [Path(p) for p in env.get("LEGATO_HIDDEN_PATHS", "").split(os.pathsep) if p]
        default = env.get("LEGATO_DEFAULT_RUNNER", "python-warm")
        fallback = env.get("LEGATO_DOCKER_FALLBACK", "sandbox")
        if default not in ("process", "sandbox", "python-warm"):
            raise RunnerError(f"LEGATO_DEFAULT_RUNNER must be process, sandbox or python-warm, not {default!r}")
        if fallback not in ("sandbox", "process", "fail"):
            raise RunnerError(f"LEGATO_DOCKER_FALLBACK must be sandbox, process or fail, not {fallback!r}")
        return cls(hidden=tuple(paths), default=default, docker_fallback=fallback,  # type: ignore[arg-type]
                   environ={k: env[k] for k in _CLUSTER_VARIABLES if k in env},
                   unsafe=isolation.truthy(env.get(isolation.UNSAFE_ENV)), policy=isolation.Policy.from_env(env),
                   docker_volumes=_flag(env, "LEGATO_DOCKER_VOLUMES_ENABLED"),
                   docker_privileged=_flag(env, "LEGATO_DOCKER_PRIVILEGED_ENABLED"), address_check=address_check,
                   docker_hosts=tuple(h.strip() for h in env.get("LEGATO_DOCKER_ALLOWED_HOSTS", "").split(",") if h.strip()))


@dataclass(frozen=True)
class Choice:
    runner: Runner
    note: str | None = None  # said in the task's log (a fallback, for instance)


def choose(spec: RunnerSpec | None, settings: RunnerSettings, *, image: str | None = None) -> Choice:
    """The runner for a task."""
    match spec:
        case None:
            if settings.default == "sandbox":
                return Choice(_sandbox(settings, network=False))
            return Choice(local(settings, warm=settings.default == "python-warm"))
        case ProcessRunnerSpec():
            return Choice(local(settings, warm=False))
        case SandboxRunnerSpec():
            return Choice(_sandbox(settings, network=spec.network))
        case WarmPythonRunnerSpec():
            return Choice(local(settings, warm=True))
        case DockerRunnerSpec():
            return _docker(spec, settings, image)
        case KubernetesRunnerSpec():
            return _kubernetes(spec, settings, image)
    raise RunnerError(f"unknown task runner {spec!r}")


def local(settings: RunnerSettings, *, warm: bool) -> Runner:
    """The runner of `process` (warm: `python-warm`): isolated, unless the operator opted out."""
    if settings.unsafe:
        return WarmPythonRunner(hidden=settings.hidden) if warm else ProcessRunner(hidden=settings.hidden)
    return isolated.IsolatedRunner(isolated.sandboxes(sandbox_policy(settings)), warm=warm)


def sandbox_policy(settings: RunnerSettings) -> isolation.Policy:
    """The sandboxes' policy, hiding the settings' folders too."""
    hidden = tuple(dict.fromkeys([*settings.hidden, *settings.policy.hidden]))
    return dataclasses.replace(settings.policy, hidden=hidden)


def docker_options(spec: DockerRunnerSpec, image: str | None, settings: RunnerSettings | None = None) -> DockerOptions:
    """Runner options from the YAML spec, as the worker's settings allow them."""
    settings = settings or RunnerSettings()
    cpus = float(spec.cpu.cpus) if spec.cpu is not None else None
    creds = spec.credentials.model_dump(exclude_none=True) if spec.credentials else {}
    memory = spec.memory
    return DockerOptions(
        image=image or DockerOptions.image, pull_policy=spec.pullPolicy, host=spec.host, user=spec.user,
        entry_point=("",) if spec.entryPoint is None else spec.entryPoint, network_mode=spec.networkMode,
        volumes=tuple(spec.volumes) if settings.docker_volumes else (), port_bindings=tuple(spec.portBindings),
        cpus=cpus, memory=memory.memory if memory else None, memory_swap=memory.memorySwap if memory else None,
        memory_reservation=memory.memoryReservation if memory else None,
        memory_swappiness=memory.memorySwappiness if memory else None,
        oom_kill_disable=memory.oomKillDisable if memory else None, shm_size=spec.shmSize,
        extra_hosts=tuple(spec.extraHosts), privileged=spec.privileged, delete=spec.delete, credentials=creds,
        file_handling=spec.fileHandlingStrategy, hidden=settings.hidden,
    )


def docker_notes(spec: DockerRunnerSpec, settings: RunnerSettings) -> list[str]:
    """What the worker's settings change in the spec, said in the task's log; RunnerError for what it refuses."""
    if spec.privileged and not settings.docker_privileged:
        raise RunnerError("this task asks for a privileged container, which this worker does not allow: an "
                          "administrator enables it with LEGATO_DOCKER_PRIVILEGED_ENABLED=true")
    if _shares_host_network(spec.networkMode) and not settings.docker_privileged:
        # The host's (or another container's) network reaches the server's loopback ports: its API and database.
        raise RunnerError(f"this task asks for networkMode {spec.networkMode!r}, which this worker does not allow: an "
                          "administrator enables it with LEGATO_DOCKER_PRIVILEGED_ENABLED=true")
    if spec.volumes and not settings.docker_volumes:
        return [f"Volumes are disabled on this worker, so {', '.join(spec.volumes)} is not mounted: an administrator "
                "enables them with LEGATO_DOCKER_VOLUMES_ENABLED=true (Kestra's volume-enabled)"]
    return []


def docker_address(host: str | None, settings: RunnerSettings) -> EngineAddress:
    """The engine a task names in `host`, if this worker lets it: its own engine, one the administrator allows, or
    a TCP engine that passes the SSRF guard (pinned to the checked address). Any other unix socket is refused: the
    worker would send the engine API's requests to whatever listens there. RunnerError (or the guard's refusal)."""
    try:
        own = engine_address(None, settings.environ)
        address = engine_address(host, settings.environ) if host else own
        if address == own or address in (engine_address(h, settings.environ) for h in settings.docker_hosts):
            return address
    except EngineError as exc:
        raise RunnerError(f"property 'host': {exc}") from None
    if address.socket_path is not None:
        raise RunnerError(f"property 'host': the Docker engine {address} is not this worker's ({own}): an administrator "
                          "allows other engines with LEGATO_DOCKER_ALLOWED_HOSTS")
    if settings.address_check is None:
        return address
    checked = settings.address_check(address.host or "", address.port or 2375)
    pinned = checked[0] if isinstance(checked, list) and checked else address.host
    return EngineAddress(host=str(pinned), port=address.port)


def _shares_host_network(mode: str | None) -> bool:
    return mode is not None and (mode == "host" or mode.startswith("container:"))


def engine_reachable(address: EngineAddress) -> bool:
    """Whether a Docker engine answers at `address`; cached briefly."""
    key = str(address)
    now = time.monotonic()
    cached = _reachable.get(key)
    if cached is not None and now - cached[0] < _PING_TTL:
        return cached[1]
    ok = docker_api.ping(address)
    _reachable[key] = (now, ok)
    return ok


def _cached_reachable(key: str, check: Callable[[], bool]) -> bool:
    now = time.monotonic()
    cached = _reachable.get(key)
    if cached is not None and now - cached[0] < _PING_TTL:
        return cached[1]
    ok = check()
    _reachable[key] = (now, ok)
    return ok


def _docker(spec: DockerRunnerSpec, settings: RunnerSettings, image: str | None) -> Choice:
    options = docker_options(spec, image, settings)
    address = docker_address(spec.host, settings)
    if engine_reachable(address):
        notes = docker_notes(spec, settings)
        return Choice(DockerRunner(options, address), "\n".join(notes) or None)
    where = str(address)
    match settings.docker_fallback:
        case "fail":
            raise RunnerError(f"this task asks for the Docker runner but no container engine answers at {where}")
        case "sandbox":
            if bwrap_path() is None:
                raise RunnerError(
                    f"this task asks for the Docker runner, no container engine answers at {where}, and the sandbox "
                    f"fallback needs bubblewrap: {INSTALL_HINT} (or set LEGATO_DOCKER_FALLBACK=process)"
                )
            # a container has network by default, so the stand-in keeps it
            note = (f"No container engine answers at {where}: running this task with the sandbox runner instead of "
                    f"Docker (image {options.image} is not used; the worker's own interpreters run the script)")
            return Choice(_sandbox(settings, network=True), note)
        case "process":
            note = (f"No container engine answers at {where}: running this task with the process runner instead of "
                    f"Docker (image {options.image} is not used)")
            return Choice(local(settings, warm=False), note)


def kube_options(spec: KubernetesRunnerSpec, image: str | None) -> KubeOptions:
    """Runner options from the YAML spec."""
    pull = {"ALWAYS": "Always", "IF_NOT_PRESENT": "IfNotPresent", "NEVER": "Never"}.get(spec.pullPolicy, spec.pullPolicy)
    res = spec.resources
    requests = {k: str(v) for k, v in (res.request.model_dump(exclude_none=True) if res and res.request else {}).items()}
    limits = {k: str(v) for k, v in (res.limit.model_dump(exclude_none=True) if res and res.limit else {}).items()}
    return KubeOptions(
        image=image or KubeOptions.image, namespace=spec.namespace, labels=dict(spec.labels),
        pull_policy=pull,  # type: ignore[arg-type]
        service_account=spec.serviceAccountName, node_selector=dict(spec.nodeSelector), requests=requests,
        limits=limits, pull_secrets=tuple(spec.imagePullSecrets), config=spec.config, delete=spec.delete,
        wait_until_running=spec.waitUntilRunning.total_seconds(),
    )


def _kubernetes(spec: KubernetesRunnerSpec, settings: RunnerSettings, image: str | None) -> Choice:
    options = kube_options(spec, image)
    try:
        config = kube_api.load(spec.config, settings.environ)
        if spec.config and settings.address_check is not None:  # the flow names the cluster: checked as any URL
            parts = urlsplit(config.server)
            settings.address_check(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
        where = config.server
        client = kube_api.KubeClient(config)
        if _cached_reachable(f"kube:{config.server}", client.reachable):
            return Choice(KubernetesRunner(options, config, client))
    except kube_api.KubeError as exc:
        where = str(exc)
        if spec.config:  # the task named its cluster: a wrong config is an error, not a fallback
            raise RunnerError(f"Kubernetes runner: {exc}") from None
    message = f"no Kubernetes API answers ({where})"
    match settings.docker_fallback:
        case "fail":
            raise RunnerError(f"this task asks for the Kubernetes runner but {message}")
        case "sandbox":
            if bwrap_path() is None:
                raise RunnerError(f"this task asks for the Kubernetes runner, {message}, and the sandbox fallback "
                                  f"needs bubblewrap: {INSTALL_HINT} (or set LEGATO_DOCKER_FALLBACK=process)")
            note = (f"{message[0].upper()}{message[1:]}: running this task with the sandbox runner instead of "
                    f"Kubernetes (image {options.image} is not used)")
            return Choice(_sandbox(settings, network=True), note)
        case "process":
            note = (f"{message[0].upper()}{message[1:]}: running this task with the process runner instead of "
                    f"Kubernetes (image {options.image} is not used)")
            return Choice(local(settings, warm=False), note)


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = env.get(name, "false").strip().lower()
    if value not in ("true", "false", "1", "0", "yes", "no"):
        raise RunnerError(f"{name} must be true or false, not {value!r}")
    return value in ("true", "1", "yes")


def _sandbox(settings: RunnerSettings, *, network: bool) -> SandboxRunner:
    if bwrap_path() is None:
        raise RunnerError(f"the sandbox runner needs bubblewrap, which is not installed on this worker: {INSTALL_HINT}")
    return SandboxRunner(hidden=settings.hidden, network=network)
