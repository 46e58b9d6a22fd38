"""The instance-wide variables of every expression, as Kestra has them: `envs` and `globals`.

- `envs.<name>`: the server's environment variables whose name starts with the configured prefix, read without
  the prefix and in lower case (`ENV_MY_VAR` is `envs.my_var`). Kestra's default prefix is `ENV_` since 0.23
  and was `KESTRA_` before; Legato reads both unless `variables.env_vars_prefix` names one (its own
  configuration is `LEGATO_*`, and secrets are `SECRET_*`: neither is ever exposed).
- `globals.<name>`: the values of `variables.globals` in the server configuration.

The composition root sets them once per process from the settings (`configure`); the engine only reads them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any

from legato import secrets_env

DEFAULT_PREFIXES = ("ENV_", "KESTRA_")
_prefixes: tuple[str, ...] = DEFAULT_PREFIXES
_globals: dict[str, Any] = {}


def configure(env_vars_prefix: str | None = None, globals_: Mapping[str, Any] | None = None) -> None:
    """Set this process's prefix (None: Kestra's both) and global variables."""
    global _prefixes, _globals
    _prefixes = (env_vars_prefix,) if env_vars_prefix else DEFAULT_PREFIXES
    _globals = dict(globals_ or {})


def globals_() -> dict[str, Any]:
    """`globals` as expressions see them."""
    return _globals


def _exposed(name: str) -> bool:
    return not name.startswith(secrets_env.SECRET_PREFIX) and name not in secrets_env.SENSITIVE \
        and not name.startswith("LEGATO_")


class Envs(Mapping[str, str]):
    """`envs` as expressions see them, read from the environment only when an expression names one."""

    def __init__(self) -> None:
        self._values: dict[str, str] | None = None

    def _read(self) -> dict[str, str]:
        if self._values is None:
            found: dict[str, str] = {}
            for prefix in reversed(_prefixes):  # the first prefix wins a name both give
                found.update({k[len(prefix):].lower(): v for k, v in os.environ.items()
                              if k.startswith(prefix) and len(k) > len(prefix) and _exposed(k)})
            self._values = found
        return self._values

    def __getitem__(self, name: str) -> str:
        return self._read()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())
