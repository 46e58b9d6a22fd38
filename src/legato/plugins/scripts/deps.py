"""Python `dependencies:` installed with uv into virtualenvs cached by the hash of the dependency list and
the interpreter's version. The first run installs under a file lock (concurrent first runs wait for it, in
any process); later runs find the ready marker and install nothing."""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from legato.plugins.context import TaskFailed
from legato.plugins.scripts.tools import cache_dir

_READY = ".legato-ready"
_versions: dict[str, str] = {}
_ready: set[str] = set()  # venvs known ready in this process
_lock = threading.Lock()


def env_key(dependencies: Sequence[str], python_version: str) -> str:
    """The cache key: order and duplicates of the list do not matter."""
    payload = json.dumps({"deps": sorted({d.strip() for d in dependencies if d.strip()}), "python": python_version})
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def interpreter_version(python: str) -> str:
    """`major.minor.micro` of an interpreter (asked once per process)."""
    with _lock:
        if python not in _versions:
            out = subprocess.run([python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                                 capture_output=True, text=True, timeout=60, check=False)
            if out.returncode != 0:
                raise TaskFailed(f"cannot run the Python interpreter {python}: {out.stderr.strip()}")
            _versions[python] = out.stdout.strip()
        return _versions[python]


def ensure_env(dependencies: Sequence[str], python: str, *, python_version: str | None = None,
               log: Callable[[str], None] = lambda _: None, root: Path | None = None) -> Path:
    """The virtualenv holding `dependencies`, installing it on first use. Blocking: call it in a thread."""
    version = python_version or interpreter_version(python)
    key = env_key(dependencies, version)
    base = root or cache_dir() / "python-envs"
    venv = base / key
    if str(venv) in _ready:
        return venv
    if not (venv / _READY).exists():
        base.mkdir(parents=True, exist_ok=True)
        with open(base / f"{key}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if not (venv / _READY).exists():
                    _install(venv, dependencies, python_version or python, log)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    _ready.add(str(venv))
    return venv


def _install(venv: Path, dependencies: Sequence[str], python: str, log: Callable[[str], None]) -> None:
    from uv import find_uv_bin

    uv = find_uv_bin()
    # a half-made env left by a crashed install is started over
    shutil.rmtree(venv, ignore_errors=True)
    log(f"Installing Python dependencies with uv: {', '.join(dependencies)}")
    _uv([uv, "venv", "--quiet", "--python", python, str(venv)])
    _uv([uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), *dependencies])
    (venv / _READY).write_text(json.dumps(sorted(dependencies)))


def _uv(argv: list[str]) -> None:
    out = subprocess.run(argv, capture_output=True, text=True, timeout=1800, check=False)
    if out.returncode != 0:
        raise TaskFailed(f"installing Python dependencies failed ({' '.join(argv[1:3])}): {out.stderr.strip()[-2000:]}")
