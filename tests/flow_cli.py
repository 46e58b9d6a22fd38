"""Running a flow file the way a user does, `legato flow run` in its own process, for the tests that run
shipped blueprints end to end against local servers (test doubles, emulators)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from legato.api.blueprints import all_blueprints


def blueprint(flow_id: str, rewrite: Callable[[dict[str, Any]], None] | None = None) -> str:
    """The source of the shipped blueprint `flow_id`, its tasks (nested ones too) passed to `rewrite` (to point
    them at a local server) when given."""
    source = next(b.source for b in all_blueprints() if b.id == flow_id)
    if rewrite is None:
        return source
    flow = yaml.safe_load(source)

    def walk(tasks: list[dict[str, Any]]) -> None:
        for task in tasks:
            rewrite(task)
            for key in ("tasks", "then", "else", "errors", "finally"):
                if isinstance(task.get(key), list):
                    walk(task[key])

    walk(flow["tasks"])
    return yaml.safe_dump(flow, sort_keys=False)


# What an operator sets so that flows may reach servers on this machine (the tests' doubles and emulators)
ALLOW_LOOPBACK = {"LEGATO_HTTP_ALLOWED_NETWORKS": "127.0.0.1/32"}


def run_flow(source: str, tmp_path: Path, *, env: Mapping[str, str] | None = None,
             secrets: Mapping[str, str] | None = None, inputs: Mapping[str, str] | None = None,
             timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`legato flow run` of `source` with the environment's LEGATO_* variables removed, `env` added and each
    secret given as Kestra's SECRET_<NAME> (base64)."""
    flow = tmp_path / "flow.yaml"
    flow.write_text(source)
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("LEGATO_", "SECRET_"))}
    environ["LEGATO_STORAGE_ROOT"] = str(tmp_path / "storage")
    environ.update(env or {})
    for name, value in (secrets or {}).items():
        environ[f"SECRET_{name}"] = base64.b64encode(value.encode()).decode()
    argv = [str(Path(sys.executable).parent / "legato"), "flow", "run", str(flow)]
    for key, value in (inputs or {}).items():
        argv += ["--input", f"{key}={value}"]
    return subprocess.run(argv, capture_output=True, text=True, env=environ, cwd=tmp_path, timeout=timeout, check=False)
