"""What the object-storage families' integration tests share: free ports, waiting for an emulator to answer,
running tasks as the worker does in one execution, and running a shipped blueprint with `legato flow run`."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.unit.plugins.conftest import Harness

from legato.api.blueprints import all_blueprints
from legato.storage import LocalStorage
from legato.storage.uris import execution_prefix, join

LEGATO = str(Path(sys.executable).parent / "legato")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes] | None = None, timeout: float = 120) -> None:
    """Wait until 127.0.0.1:`port` accepts connections (generous: the machine is shared)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the emulator exited with code {process.returncode} before listening on {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


class Tasks:
    """Runs tasks as the worker does, all in one execution (each reads the files the ones before it wrote)."""

    def __init__(self, harness: Harness, storage: LocalStorage) -> None:
        self.harness = harness
        self.storage = storage
        self.execution = harness.execution()
        self.runs = 0
        self.contexts: list[Any] = []

    def run(self, source: str, **context: Any) -> dict[str, Any]:
        self.runs += 1
        ctx = self.harness.context(storage=self.storage, execution=self.execution, task_id=f"task{self.runs}", **context)
        self.contexts.append(ctx)
        return self.harness.run(source, ctx)

    def put(self, name: str, data: bytes) -> str:
        """A file of the execution (as a FILE input would be)."""
        e = self.execution
        return self.storage.put(join(execution_prefix(e.namespace, e.flow_id, e.id), f"inputs/{name}"), data)

    def read(self, uri: str) -> bytes:
        return self.storage.get(uri)

    def messages(self) -> list[str]:
        """Every log message of the tasks run so far."""
        return [m for ctx in self.contexts for _, m in self.harness.messages(ctx)]


def secrets_env(**values: str) -> dict[str, str]:
    """Environment variables giving `secret(NAME)` its value (base64, as Kestra's open-source backend reads them)."""
    return {f"SECRET_{k}": base64.b64encode(v.encode()).decode() for k, v in values.items()}


ROOT = Path(__file__).resolve().parents[2]


def run_blueprint(blueprint_id: str, tmp_path: Path, env: dict[str, str], inputs: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a shipped blueprint unchanged with `legato flow run`; the execution as JSON (it must end in SUCCESS)."""
    blueprint = next(b for b in all_blueprints() if b.id == blueprint_id)
    flow = tmp_path / f"{blueprint_id}.yaml"
    flow.write_text(blueprint.source)
    return run_flow_file(flow, tmp_path, env, inputs)


def run_flow_file(flow: Path, tmp_path: Path, env: dict[str, str], inputs: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a flow file with `legato flow run`; the execution as JSON (the command must succeed)."""
    args = [LEGATO, "flow", "run", str(flow), "--output", "json", "--timeout", "240"]
    for key, value in (inputs or {}).items():
        args += ["--input", f"{key}={value}"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env={**os.environ, **env})
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    result: dict[str, Any] = json.loads(done.stdout)
    return result
