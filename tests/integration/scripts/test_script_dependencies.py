"""Python `dependencies:` installed with uv into a cached virtualenv: the first run installs, later runs
reuse it at once, and concurrent first runs build it once."""

from __future__ import annotations

import json
import subprocess
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


MAKE_WHEEL = """
import sys, zipfile
name = sys.argv[1]
info = f"{name}-1.0.dist-info"
with zipfile.ZipFile(f"{name}-1.0-py3-none-any.whl", "w") as wheel:
    wheel.writestr(f"{name}.py", "VALUE = 'installed by pip'\\n")
    wheel.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\\nName: {name}\\nVersion: 1.0\\n")
    wheel.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
    wheel.writestr(f"{info}/RECORD", "")
"""
PROBE = """
import sys
from kestra import Kestra
import {name}
Kestra.outputs({{"value": {name}.VALUE, "prefix": sys.prefix}})
"""


@pytest.mark.parametrize("install", ["pip install", "pip3 install --quiet", "python -m pip install"])
def test_pip_install_in_before_commands_goes_to_the_scripts_own_virtualenv(
        scripts: Scripts, install: str) -> None:
    """As in Kestra's container, `pip install` before a script works; here it installs into a virtualenv of the
    working directory, so neither the worker's Python nor the next script sees the package."""
    name = f"legato_pip_probe_{install.split()[0]}"
    outputs, _ = scripts.run(f"""
id: task
type: io.kestra.plugin.scripts.python.Commands
inputFiles:
  probe.py: {json.dumps(PROBE.format(name=name))}
  make_wheel.py: {json.dumps(MAKE_WHEEL)}
beforeCommands:
  - python make_wheel.py {name}
  - {install} --no-index ./{name}-1.0-py3-none-any.whl
commands:
  - python probe.py
""")
    assert outputs["vars"]["value"] == "installed by pip"
    assert outputs["vars"]["prefix"].endswith("/.legato-pip")
    after, _ = scripts.run(f"""
id: task
type: io.kestra.plugin.scripts.python.Script
script: |
  import importlib.util
  from kestra import Kestra
  Kestra.outputs({{"found": importlib.util.find_spec("{name}") is not None}})
""")
    assert after["vars"]["found"] is False
    probe = subprocess.run([tools.python_interpreter(), "-c", f"import {name}"], capture_output=True, check=False)
    assert probe.returncode != 0  # the worker's interpreter was not changed


def test_pip_install_in_commands_sees_the_tasks_dependencies(scripts: Scripts) -> None:
    outputs, _ = scripts.run(f"""
id: task
type: io.kestra.plugin.scripts.python.Commands
dependencies:
  - six==1.16.0
inputFiles:
  probe.py: {json.dumps(PROBE.format(name="legato_pip_probe_deps") + "import six" + chr(10))}
  make_wheel.py: {json.dumps(MAKE_WHEEL)}
commands:
  - python make_wheel.py legato_pip_probe_deps
  - pip install --no-index ./legato_pip_probe_deps-1.0-py3-none-any.whl > /dev/null
  - python probe.py
""")
    assert outputs["vars"]["value"] == "installed by pip"
