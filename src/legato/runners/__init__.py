"""How a script task's process is isolated. Every runner satisfies `Runner`: `process` (a child process in
its own group, allow-listed environment), `sandbox` (the same under bubblewrap), `python-warm` (Python
scripts in forks of a pre-started interpreter) and `docker` (a container
through the Docker Engine API). `select.choose` maps a task's `taskRunner` to one of them."""

from legato.runners.base import CommandSpec, CommandTimedOut, LineSink, Runner, RunnerError
from legato.runners.docker import DockerRunner
from legato.runners.docker_options import DockerOptions
from legato.runners.environment import script_environment
from legato.runners.process import ProcessRunner
from legato.runners.sandbox import SandboxRunner
from legato.runners.select import Choice, RunnerSettings, choose
from legato.runners.specs import (
    DockerRunnerSpec,
    ProcessRunnerSpec,
    RunnerSpec,
    SandboxRunnerSpec,
    WarmPythonRunnerSpec,
)
from legato.runners.warm import WarmPythonRunner

__all__ = [
    "Choice",
    "CommandSpec",
    "CommandTimedOut",
    "DockerOptions",
    "DockerRunner",
    "DockerRunnerSpec",
    "LineSink",
    "ProcessRunner",
    "ProcessRunnerSpec",
    "Runner",
    "RunnerError",
    "RunnerSettings",
    "RunnerSpec",
    "SandboxRunner",
    "SandboxRunnerSpec",
    "WarmPythonRunner",
    "WarmPythonRunnerSpec",
    "choose",
    "script_environment",
]
