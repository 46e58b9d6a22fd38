"""Virtualenvs in a script's working directory: the legacy Python task's, and the one a script that runs `pip
install` gets under the local runners.

Kestra's scripts run in a container by default, so `pip install pandas` in `beforeCommands` installs into that
container. Run on this machine instead, it would reach the worker's own Python: refused by Debian (PEP 668) or, worse,
changing what every other task imports. A script whose lines install with pip therefore runs in a virtualenv of its
own in its working directory (gone with it): `python`, `pip` and `pip3` are that virtualenv's, it sees the worker's
packages (and the task's `dependencies:`), and what it installs stays there.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from pathlib import Path

from legato.plugins.context import TaskFailed

PIP_INSTALL = re.compile(r"(?:^|[\s;&|(])(?:pip3?|pip3\.\d+|python3?\s+-m\s+pip|uv\s+pip)\s+install\b")
FOLDER = ".legato-pip"


def make(python: str, folder: Path, *, with_pip: bool = False) -> None:
    """A virtualenv at `folder` seeing `python`'s packages (with pip installed into it when `with_pip`)."""
    done = subprocess.run([python, "-m", "venv", "--system-site-packages", *([] if with_pip else ["--without-pip"]),
                           str(folder)], capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise TaskFailed(f"cannot make a virtualenv with {python}: {done.stderr.strip()[-1000:]}")


def site_packages(venv: Path) -> Path:
    found = sorted(venv.glob("lib/python*/site-packages"))
    if not found:
        raise TaskFailed(f"no site-packages folder in the virtualenv {venv}")
    return found[0]


def link(venv: Path, other: Path, name: str = "legato-requirements") -> None:
    """A `.pth` file: the packages of the virtualenv `other` importable from `venv`."""
    (site_packages(venv) / f"{name}.pth").write_text(f"{site_packages(other)}\n", encoding="utf-8")


def installs_with_pip(text: str) -> bool:
    """Whether a script's text runs `pip install` (pip, pip3, python -m pip, uv pip)."""
    return PIP_INSTALL.search(text) is not None


@functools.cache
def _has_pip(python: str) -> bool:
    return subprocess.run([python, "-c", "import pip"], capture_output=True, timeout=60, check=False).returncode == 0


def for_pip(workdir: Path, python: str, dependencies: Path | None) -> Path:
    """The working directory's virtualenv for a script that installs with pip; `dependencies` (the task's cached
    `dependencies:` virtualenv) stays importable. Blocking: call it in a thread."""
    venv = workdir / FOLDER
    borrowed = _has_pip(python)  # the interpreter's own pip runs inside the virtualenv: no copy of pip to install
    make(python, venv, with_pip=not borrowed)
    if borrowed:
        for name in ("pip", "pip3"):
            shim = venv / "bin" / name
            shim.write_text(f'#!/bin/sh\nexec "{venv / "bin" / "python"}" -m pip "$@"\n', encoding="utf-8")
            os.chmod(shim, 0o755)  # noqa: S103 - run by the script's uid, which may not be the worker's
    if dependencies is not None:
        link(venv, dependencies)
    return venv
