"""Python `dependencies:` installed with uv into a cached virtualenv: the first run installs, later runs
reuse it at once, and concurrent first runs build it once."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from tests.integration.scripts.conftest import Scripts

from legato.plugins.scripts import deps, tools

pytestmark = pytest.mark.slow


def test_a_script_imports_its_dependency(scripts: Scripts) -> None:
    source = """
id: task
type: io.kestra.plugin.scripts.python.Script
dependencies:
  - six==1.16.0
script: |
  import six, sys
  from kestra import Kestra
  Kestra.outputs({"six": six.__version__, "venv": sys.prefix})
"""
    first, _ = scripts.run(source)
    second, ctx = scripts.run(source)
    assert first["vars"]["six"] == "1.16.0" and second["vars"] == first["vars"]
    assert not any("Installing" in m for _, m in scripts.messages(ctx))  # nothing installed the second time


def test_the_cache_key_ignores_order_and_duplicates() -> None:
    assert deps.env_key(["b", "a", "a"], "3.11.7") == deps.env_key(["a", "b"], "3.11.7")
    assert deps.env_key(["a"], "3.11.7") != deps.env_key(["a"], "3.12.1")


def test_concurrent_first_runs_build_once_and_warm_runs_are_fast(tmp_path: Path) -> None:
    python = tools.python_interpreter()
    installs: list[str] = []
    results: list[Path] = []
    errors: list[BaseException] = []

    def first_run() -> None:
        try:
            results.append(deps.ensure_env(["six==1.16.0"], python, log=installs.append, root=tmp_path / "envs"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=first_run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(set(results)) == 1 and len(installs) == 1
    venv = results[0]
    assert (venv / "bin" / "python").exists()
    deps._ready.clear()  # as a fresh worker process would start
    started = time.perf_counter()
    assert deps.ensure_env(["six==1.16.0"], python, root=tmp_path / "envs") == venv
    assert time.perf_counter() - started < 0.1
