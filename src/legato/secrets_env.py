"""Server secrets given through the environment (`SECRET_<NAME>`, LEGATO_BASIC_AUTH, LEGATO_DATABASE_URL, …)
are read once at start-up and then removed: from `os.environ`, and from the process's original environment
block, which /proc/<pid>/environ shows for the life of the process. Credentials given on the command line
(`--basic-auth`) are blanked in /proc/<pid>/cmdline the same way. Child processes get an allow-listed
environment anyway (`legato.runners.environment`); this closes what a process could read about the server.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import re
import threading
from collections.abc import Iterable, Mapping

SECRET_PREFIX = "SECRET_"  # noqa: S105 - a variable name prefix, not a password
# settings that carry credentials (read by legato.config before scrub() runs)
SENSITIVE = ("LEGATO_BASIC_AUTH", "LEGATO_DATABASE_URL", "LEGATO_SECRET_KEY", "LEGATO_ENCRYPTION_KEY", "LEGATO_AI_API_KEY")
_secrets: dict[str, str] = {}
_lock = threading.Lock()
_scrubbed = False


def secret(name: str) -> str | None:
    """The value of SECRET_<name> as the server started with it (None when absent)."""
    with _lock:
        if not _scrubbed:
            return os.environ.get(SECRET_PREFIX + name)
        return _secrets.get(SECRET_PREFIX + name)


def decoded(name: str) -> str:
    """`secret(name)` in an expression: Kestra's open-source backend, the base64-encoded value of the environment
    variable SECRET_<NAME> (the name matched in upper case, line breaks in the value ignored, as Kestra does).
    Raises ValueError when it is absent or not base64."""
    wanted = SECRET_PREFIX + str(name).upper()
    with _lock:
        source = _secrets if _scrubbed else os.environ
        raw = next((v for k, v in source.items() if k.upper() == wanted), None)
    if raw is None:
        raise ValueError(f"secret '{name}' not found (set SECRET_{str(name).upper()} to its base64-encoded value)")
    try:
        return base64.b64decode(re.sub(r"\s+", "", raw), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError(f"SECRET_{str(name).upper()} is not base64-encoded UTF-8") from None


# The expression functions this backend gives every render of a flow (task properties, input defaults,
# triggers, pluginDefaults); a worker binds `secret` to the attempt's Masker so the value stays masked.
FUNCTIONS = {"secret": decoded}


def scrub(argv_values: Iterable[str] = ()) -> list[str]:
    """Keep the secrets in memory, remove them from the environment and the environment block, and blank
    `argv_values` (credentials given as options) in the command line. Returns the variables removed."""
    global _scrubbed
    with _lock:
        names = [k for k in os.environ if k.startswith(SECRET_PREFIX) or k in SENSITIVE]
        _secrets.update({k: os.environ[k] for k in names if k.startswith(SECRET_PREFIX)})
        values = {k: os.environ[k] for k in names}
        for name in names:
            del os.environ[name]
        _scrubbed = True
    _blank_block("env", [f"{k}={v}".encode() for k, v in values.items()])
    _blank_block("arg", [v.encode() for v in argv_values if v])
    return names


def reset_for_tests(values: Mapping[str, str]) -> None:
    """Forget what was scrubbed and hold `values` instead (tests only)."""
    global _scrubbed
    with _lock:
        _secrets.clear()
        _secrets.update(values)
        _scrubbed = bool(values)


def _blank_block(kind: str, needles: list[bytes]) -> None:
    """Overwrite each needle in the process's original `kind` block ("env" or "arg") with spaces."""
    if not needles:
        return
    bounds = _bounds(kind)
    if bounds is None:
        return
    start, end = bounds
    with contextlib.suppress(OSError), open("/proc/self/mem", "r+b", buffering=0) as mem:
        mem.seek(start)
        block = mem.read(end - start)
        for needle in needles:
            at = block.find(needle)
            while at >= 0:
                mem.seek(start + at)
                mem.write(b" " * len(needle))
                at = block.find(needle, at + len(needle))


def _bounds(kind: str) -> tuple[int, int] | None:
    """(start, end) of the block, from /proc/self/stat (fields 48-51: arg_start, arg_end, env_start, env_end)."""
    try:
        with open("/proc/self/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    first = 45 if kind == "arg" else 47  # field n is fields[n - 3] after the command name
    try:
        return int(fields[first]), int(fields[first + 1])
    except (IndexError, ValueError):
        return None
