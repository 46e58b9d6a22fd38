"""Choosing a runner from a task's taskRunner, with the worker's settings and the Docker fallback."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from legato.runners import select
from legato.runners.base import RunnerError
from legato.runners.docker import DockerRunner
from legato.runners.isolated import IsolatedRunner
from legato.runners.process import ProcessRunner
from legato.runners.sandbox import SandboxRunner, bwrap_path
from legato.runners.specs import RunnerSpec

SPEC: TypeAdapter[RunnerSpec] = TypeAdapter(RunnerSpec)
NO_ENGINE = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}


def test_kestras_type_names_are_accepted() -> None:
    assert SPEC.validate_python({"type": "io.kestra.plugin.core.runner.Process"}).type == "io.kestra.plugin.core.runner.Process"
    docker = SPEC.validate_python({"type": "io.kestra.plugin.scripts.runner.docker.Docker", "pullPolicy": "NEVER",
                                   "cpu": {"cpus": 1}, "memory": {"memory": "512Mb"}})
    options = select.docker_options(docker, "python:3.12")  # type: ignore[arg-type]
    assert options.cpus == 1.0 and options.memory == "512Mb" and options.pull_policy == "NEVER"
    kube = SPEC.validate_python({"type": "io.kestra.plugin.ee.kubernetes.runner.Kubernetes", "namespace": "jobs"})
    assert select.kube_options(kube, "python:3.12").namespace == "jobs"  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        SPEC.validate_python({"type": "io.kestra.plugin.scripts.runner.podman.Podman"})
    with pytest.raises(ValidationError):
        SPEC.validate_python({"type": "sandbox", "netwrok": True})


def test_default_and_explicit_runners() -> None:
    settings = select.RunnerSettings(hidden=(Path("/srv/legato"),))
    chosen = select.choose(None, settings)
    # isolated by default, warm for Python, with the settings' folders hidden in its sandboxes
    assert isinstance(chosen.runner, IsolatedRunner) and chosen.runner.warm
    assert Path("/srv/legato") in chosen.runner.pool.policy.hidden
    process = select.choose(SPEC.validate_python({"type": "io.kestra.plugin.core.runner.Process"}), settings).runner
    assert isinstance(process, IsolatedRunner) and not process.warm
    if bwrap_path():
        sandbox = select.choose(SPEC.validate_python({"type": "sandbox", "network": True}), settings).runner
        assert isinstance(sandbox, SandboxRunner) and sandbox.network is True


@pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap (bwrap) is not installed")
def test_docker_without_engine_falls_back_to_the_sandbox_and_says_so() -> None:
    settings = select.RunnerSettings(environ=NO_ENGINE)
    chosen = select.choose(SPEC.validate_python({"type": "docker"}), settings, image="python:3.12")
    assert isinstance(chosen.runner, SandboxRunner)
    assert chosen.note is not None and "sandbox runner instead of Docker" in chosen.note and "python:3.12" in chosen.note


def test_docker_without_engine_can_be_configured_to_fail() -> None:
    settings = select.RunnerSettings.from_env(environ={**NO_ENGINE, "LEGATO_DOCKER_FALLBACK": "fail"})
    with pytest.raises(RunnerError, match="no container engine answers"):
        select.choose(SPEC.validate_python({"type": "docker"}), settings)


def test_settings_from_env() -> None:
    settings = select.RunnerSettings.from_env(
        hidden=[Path("/a")], environ={"LEGATO_DATA_DIR": "/b", "LEGATO_HIDDEN_PATHS": "/c:/d", "LEGATO_DEFAULT_RUNNER": "sandbox"}
    )
    assert settings.hidden == (Path("/a"), Path("/b"), Path("/c"), Path("/d")) and settings.default == "sandbox"
    with pytest.raises(RunnerError, match="LEGATO_DEFAULT_RUNNER"):
        select.RunnerSettings.from_env(environ={"LEGATO_DEFAULT_RUNNER": "docker"})


def test_a_reachable_engine_is_used(docker_host: str) -> None:
    settings = select.RunnerSettings.from_env()
    chosen = select.choose(SPEC.validate_python({"type": "docker"}), settings, image="alpine")
    assert isinstance(chosen.runner, DockerRunner) and chosen.runner.options.image == "alpine" and chosen.note is None
    assert str(chosen.runner.address) == docker_host
    volumes = SPEC.validate_python({"type": "docker", "volumes": ["/srv:/srv"]})
    ignored = select.choose(volumes, settings, image="alpine")
    assert isinstance(ignored.runner, DockerRunner) and ignored.runner.options.volumes == ()
    assert ignored.note is not None and "LEGATO_DOCKER_VOLUMES_ENABLED" in ignored.note
    allowed = select.RunnerSettings.from_env(environ={"DOCKER_HOST": docker_host, "LEGATO_DOCKER_VOLUMES_ENABLED": "true"})
    mounted = select.choose(volumes, allowed, image="alpine")
    assert isinstance(mounted.runner, DockerRunner) and mounted.runner.options.volumes == ("/srv:/srv",)
    with pytest.raises(RunnerError, match="LEGATO_DOCKER_PRIVILEGED_ENABLED"):
        select.choose(SPEC.validate_python({"type": "docker", "privileged": True}), settings)
    with pytest.raises(RunnerError, match="LEGATO_DOCKER_VOLUMES_ENABLED must be true or false"):
        select.RunnerSettings.from_env(environ={"LEGATO_DOCKER_VOLUMES_ENABLED": "sometimes"})


def test_the_warm_python_runner_per_task_or_per_worker() -> None:
    settings = select.RunnerSettings(hidden=(Path("/srv/legato"),))
    warm = select.choose(SPEC.validate_python({"type": "python-warm"}), settings).runner
    assert isinstance(warm, IsolatedRunner) and warm.warm and warm.name == "python-warm"
    worker = select.RunnerSettings.from_env(environ={"LEGATO_DEFAULT_RUNNER": "process"})
    fresh = select.choose(None, worker).runner
    assert isinstance(fresh, IsolatedRunner) and not fresh.warm


def test_only_the_operator_makes_process_and_python_warm_unisolated() -> None:
    from legato.runners.warm import WarmPythonRunner

    unsafe = select.RunnerSettings.from_env(hidden=[Path("/srv/legato")],
                                            environ={"LEGATO_UNSAFE_PROCESS_RUNNER": "true"})
    process = select.choose(SPEC.validate_python({"type": "process"}), unsafe).runner
    assert type(process) is ProcessRunner and process.hidden == (Path("/srv/legato"),)
    assert isinstance(select.choose(None, unsafe).runner, WarmPythonRunner)
    safe = select.RunnerSettings.from_env(environ={"LEGATO_UNSAFE_PROCESS_RUNNER": "no"})
    assert isinstance(select.choose(SPEC.validate_python({"type": "process"}), safe).runner, IsolatedRunner)


class _Listener:
    """An HTTP server on a unix socket that counts what reaches it (a stand-in for any local service's socket)."""

    def __init__(self, path: Path) -> None:
        import socketserver
        import threading
        from http.server import BaseHTTPRequestHandler

        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:
                pass

            def do_GET(self) -> None:
                outer.hits += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

        class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

            def get_request(self):  # type: ignore[no-untyped-def]
                request, _ = super().get_request()
                return request, ("local", 0)

        self.server = Server(str(path), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_flow_names_only_the_workers_engine_or_one_the_administrator_allows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Any other unix socket is refused before the worker sends it anything; a TCP engine passes the SSRF guard."""
    from legato.plugins.core import netguard

    monkeypatch.delenv("LEGATO_HTTP_ALLOWED_NETWORKS", raising=False)
    listener = _Listener(tmp_path / "other.sock")
    other = f"unix://{tmp_path / 'other.sock'}"
    try:
        settings = select.RunnerSettings.from_env(environ=NO_ENGINE, address_check=netguard.resolve_checked)
        assert select.docker_address(None, settings).socket_path == "/nonexistent/docker.sock"
        assert select.docker_address(NO_ENGINE["DOCKER_HOST"], settings).socket_path == "/nonexistent/docker.sock"
        with pytest.raises(RunnerError, match=r"is not this worker's .* LEGATO_DOCKER_ALLOWED_HOSTS"):
            select.choose(SPEC.validate_python({"type": "docker", "host": other}), settings)
        with pytest.raises(Exception, match="internal address"):
            select.choose(SPEC.validate_python({"type": "docker", "host": "tcp://127.0.0.1:2375"}), settings)
        assert listener.hits == 0
        allowed = select.RunnerSettings.from_env(environ={**NO_ENGINE, "LEGATO_DOCKER_ALLOWED_HOSTS": f" {other} , x"},
                                                 address_check=netguard.resolve_checked)
        chosen = select.choose(SPEC.validate_python({"type": "docker", "host": other}), allowed)
        assert isinstance(chosen.runner, DockerRunner) and chosen.runner.address.socket_path == str(tmp_path / "other.sock")
        assert listener.hits == 1  # the engine's ping
    finally:
        listener.close()
