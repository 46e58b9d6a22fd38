"""Which script interpreters the tests can run, and why one is missing.

`make test` installs most of them: Debian packages through `make system-deps` (SYSTEM_PACKAGES in the
Makefile) and Bun and Deno from npm through `make tools` (tools/package.json: each ships its binary inside
an npm platform package). Those are required in CI (CI=true): a missing one fails its tests there instead of
skipping them silently. Julia and PowerShell have no package in any registry this project can reach, so
their tests skip everywhere, saying why."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from legato.plugins.scripts.others import Language

TOOLS_BIN = Path(__file__).resolve().parents[3] / "tools" / "node_modules" / ".bin"

# language key → where `make test` gets its interpreter
INSTALLED_BY_MAKE = {
    "r": "Debian package r-base-core (make system-deps)",
    "ruby": "Debian package ruby (make system-deps)",
    "perl": "Debian package perl (part of every Debian system)",
    "php": "Debian package php-cli (make system-deps)",
    "lua": "Debian package lua5.4 (make system-deps)",
    "go": "Debian package golang-go (make system-deps)",
    "deno": "npm package deno with its platform binary @deno/linux-x64-glibc (make tools)",
    "bun": "npm package bun with its platform binary @oven/bun-linux-x64 (make tools)",
}

# language key → why no test run can install it here
NOT_INSTALLABLE = {
    "julia": "Debian bookworm has no julia package, and Julia's Python and npm installers (juliapkg, jill, "
             "julialang) download the binaries from julialang.org or GitHub at install time, which a machine "
             "that reaches only the package registries (this one, CI) cannot do",
    "powershell": "Debian has no PowerShell package (Microsoft's own apt repository ships it), no PyPI wheel "
                  "carries pwsh, and the npm package pwsh downloads it from GitHub at install time",
}


def put_tools_on_path() -> None:
    """Put tools/node_modules/.bin (bun, deno from `make tools`) first on PATH, as the worker of a Legato
    install would have its interpreters on PATH."""
    if TOOLS_BIN.is_dir() and str(TOOLS_BIN) not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([str(TOOLS_BIN), os.environ.get("PATH", "")])


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def missing_reason(lang: Language) -> str | None:
    """None when `lang`'s interpreter is on PATH, else why it is not."""
    program = lang.run_file[0]
    if shutil.which(program) is not None:
        return None
    if lang.key in NOT_INSTALLABLE:
        return f"{program} is not installed: {NOT_INSTALLABLE[lang.key]}"
    source = INSTALLED_BY_MAKE.get(lang.key, "no known source")
    return f"{program} is not installed (`make test` installs it: {source})"


def require_interpreter(lang: Language) -> None:
    """Skip (or fail in CI, for an interpreter `make test` installs) when `lang` cannot run here."""
    reason = missing_reason(lang)
    if reason is None:
        return
    if in_ci() and lang.key in INSTALLED_BY_MAKE:
        pytest.fail(f"{reason}; CI runs `make test`, so it must be there")
    pytest.skip(reason)
