"""Where scripts find their tools: the helper modules shipped with Legato, and a `python` that starts fast.

`python` on a worker's PATH may be a slow launcher (pyenv shims cost ~200 ms) or missing; scripts get a
folder first on PATH whose `python`/`python3` point at one real interpreter: LEGATO_PYTHON when set, else
the interpreter Legato itself runs on (outside Legato's own virtualenv, so scripts never see its packages).
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import threading
from pathlib import Path

from legato.runners import environment

HELPERS = Path(__file__).parent / "helpers"
PYTHON_HELPERS = HELPERS / "python"
NODE_HELPERS = HELPERS / "node"

_lock = threading.Lock()
_shims: dict[str, Path] = {}


def cache_dir() -> Path:
    """Legato's cache folder (LEGATO_CACHE_DIR, else $XDG_CACHE_HOME/legato, else ~/.cache/legato); script
    sandboxes show it read-only."""
    return environment.cache_dir()


def python_interpreter() -> str:
    """The real interpreter scripts run with."""
    configured = os.environ.get("LEGATO_PYTHON")
    if configured:
        return configured
    return _resolved(getattr(sys, "_base_executable", None) or sys.executable)


@functools.cache
def _resolved(path: str) -> str:
    """`path` with its links resolved, once per process (every script task asks; this interpreter stays put)."""
    return str(Path(path).resolve())


def python_shims() -> Path:
    """A folder holding `python` and `python3` links to `python_interpreter()` (made once, atomically)."""
    interpreter = python_interpreter()
    with _lock:
        if interpreter in _shims:
            return _shims[interpreter]
        folder = cache_dir() / "shims" / hashlib.sha256(interpreter.encode()).hexdigest()[:16]
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("python", "python3"):
            link = folder / name
            if not (link.is_symlink() and os.readlink(link) == interpreter):
                tmp = folder / f".{name}.{os.getpid()}"
                tmp.unlink(missing_ok=True)
                tmp.symlink_to(interpreter)
                os.replace(tmp, link)
        _shims[interpreter] = folder
        return folder
