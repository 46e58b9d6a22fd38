"""The environment a script gets: a short allow-list from the server's own, never the rest (no LEGATO_*, no
database URL, no cloud credentials), plus what the task sets."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

# Locale and time zone keep tools' output and dates as the operator expects; PATH finds the interpreters.
ALLOWED = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ")
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"


def script_environment(
    workdir: str,
    task_env: Mapping[str, str] | None = None,
    *,
    output_dir: str | None = None,
    source: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment of a script whose working directory is `workdir` (as the script sees it)."""
    server = os.environ if source is None else source
    env = {name: server[name] for name in ALLOWED if name in server}
    env.setdefault("PATH", DEFAULT_PATH)
    env["HOME"] = workdir
    env["WORKING_DIR"] = workdir
    if output_dir is not None:
        env["OUTPUT_DIR"] = output_dir
    env.update(task_env or {})
    return env


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Legato's cache folder (LEGATO_CACHE_DIR, else $XDG_CACHE_HOME/legato, else ~/.cache/legato)."""
    env = os.environ if environ is None else environ
    configured = env.get("LEGATO_CACHE_DIR")
    if configured:
        return Path(configured)
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "legato"


def with_path_prefix(env: Mapping[str, str], prefix: Sequence[Path]) -> dict[str, str]:
    """`env` with the `prefix` folders first on PATH."""
    out = dict(env)
    if prefix:
        out["PATH"] = os.pathsep.join([*(str(p) for p in prefix), out.get("PATH", DEFAULT_PATH)])
    return out


def with_helpers(env: Mapping[str, str], helpers: Mapping[str, Sequence[Path]]) -> dict[str, str]:
    """`env` with each helper folder added in front of its variable (PYTHONPATH, NODE_PATH), keeping any
    value the task set after them."""
    out = dict(env)
    for name, folders in helpers.items():
        parts = [str(f) for f in folders]
        if out.get(name):
            parts.append(out[name])
        if parts:
            out[name] = os.pathsep.join(parts)
    return out
