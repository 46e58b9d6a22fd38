"""Hide folders (the Legato data dir) from a child process with Linux Landlock, without root.

Landlock only grants access, so hiding a folder means granting read access to everything else: at each
folder on the way from `/` down to a hidden one, every other entry is granted as a whole. The ruleset is
built in the parent; the child only applies it (two system calls) between fork and exec.
"""

from __future__ import annotations

import ctypes
import os
import stat
import struct
from collections.abc import Iterable
from pathlib import Path

# Syscall numbers are the same on every architecture: they were added after the tables were unified.
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38
_EXECUTE, _READ_FILE, _READ_DIR = 1 << 0, 1 << 2, 1 << 3
_HANDLED = _EXECUTE | _READ_FILE | _READ_DIR  # writes stay unrestricted: this hides, it does not jail
_FILE_RIGHTS = _EXECUTE | _READ_FILE  # a rule on a file may not carry directory rights

_libc = ctypes.CDLL(None, use_errno=True)
_syscall = _libc.syscall
_syscall.restype = ctypes.c_long
_prctl = _libc.prctl


def abi_version() -> int:
    """The kernel's Landlock ABI version, 0 when Landlock is unavailable."""
    try:
        version = _syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION))
    except OSError:
        return 0
    return max(int(version), 0)


def build_ruleset(hidden: Iterable[Path]) -> int | None:
    """A ruleset fd granting read access everywhere except under `hidden`; None when there is nothing to
    hide. Raises OSError when the kernel refuses (the caller decides whether that is fatal)."""
    targets = {p.resolve() for p in hidden if p.exists()}
    if not targets:
        return None
    attr = struct.pack("=Q", _HANDLED)
    fd = _syscall(_CREATE_RULESET, ctypes.c_char_p(attr), ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))
    if fd < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        for path in _granted(targets):
            _allow(int(fd), path)
    except BaseException:
        os.close(fd)
        raise
    return int(fd)


def fingerprint(hidden: Iterable[Path]) -> tuple[object, ...]:
    """What a ruleset built for `hidden` depends on: the entries of every folder on the way down to a hidden
    one. While it is unchanged, a ruleset built earlier still grants exactly what `build_ruleset` would."""
    targets = {p.resolve() for p in hidden if p.exists()}
    marks: list[object] = [tuple(sorted(targets))]
    for folder in sorted({ancestor for t in targets for ancestor in t.parents}):
        try:
            info = os.stat(folder)
            marks.append((folder, info.st_ino, info.st_mtime_ns, hash(frozenset(os.listdir(folder)))))
        except OSError:
            marks.append((folder, None))
    return tuple(marks)


def restrict_self(ruleset_fd: int) -> None:
    """Apply the ruleset to the calling process (and everything it will start). Called in the child."""
    if _prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if _syscall(_RESTRICT_SELF, ctypes.c_int(ruleset_fd), ctypes.c_uint32(0)) != 0:
        raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")


def _granted(targets: set[Path]) -> list[Path]:
    """Every entry that sits beside the way down to a hidden folder, and is not itself on that way."""
    on_the_way = {ancestor for t in targets for ancestor in t.parents}
    granted: list[Path] = []
    for folder in sorted(on_the_way):
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry in on_the_way or entry in targets:
                continue
            # a symlink beside the way could point back up it, or into a hidden folder
            if entry.is_symlink():
                resolved = entry.resolve()
                if resolved in on_the_way or any(resolved.is_relative_to(t) for t in targets):
                    continue
            granted.append(entry)
    return granted


def _allow(ruleset_fd: int, path: Path) -> None:
    try:
        target = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # vanished or unreadable: nothing to grant
    try:
        rights = _HANDLED if stat.S_ISDIR(os.fstat(target).st_mode) else _FILE_RIGHTS
        rule = struct.pack("=Qi", rights, target)
        if _syscall(_ADD_RULE, ctypes.c_int(ruleset_fd), ctypes.c_int(_RULE_PATH_BENEATH), ctypes.c_char_p(rule), ctypes.c_uint32(0)) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"landlock_add_rule failed for {path}: {os.strerror(errno)}")
    finally:
        os.close(target)
