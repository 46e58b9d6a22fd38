"""Confinement of the commands a sandboxed fork server starts (see `legato.runners.isolated`).

Loaded by `zygote.py` inside the namespace's bubblewrap sandbox, so standard library only and no Legato
import. `prepare` runs once in the fork server; `confine` runs in each forked child before the command:

- a mount namespace of its own: fresh /tmp, /dev/shm and /run, and its working dir bound in from the host
  folder the fork server sees at WORK_MOUNT, which is then covered (so no other execution's working dir is
  reachable);
- no capabilities left (bounding and ambient sets emptied), no new privileges, and, where the server runs
  as root, a uid of its own for the run, named in the /etc/passwd and /etc/group it sees;
- a Landlock domain of its own: it cannot ptrace (read /proc/<pid>/environ, cwd, mem of) or signal any
  process outside it, the fork server and the other commands of the sandbox included.
"""

import contextlib
import ctypes
import os
import platform
import struct
from typing import Any

WORK_MOUNT = "/run/legato/work"
USER = "legato-task"  # the name of a run's own uid (see _name_the_user)

_CLONE_NEWNS = 0x00020000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 1, 2, 4, 32, 4096, 0x4000, 1 << 18
_PR_SET_DUMPABLE, _PR_CAPBSET_DROP, _PR_SET_CHILD_SUBREAPER, _PR_SET_NO_NEW_PRIVS = 4, 24, 36, 38
_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
_CAPSET = {"x86_64": 126, "aarch64": 91}.get(platform.machine(), 126)
_LINUX_CAPABILITY_VERSION_3 = 0x20080522
# Landlock (syscall numbers are the same on every architecture)
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_FS_EXECUTE = 1 << 0
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1
_RULE_PATH_BENEATH = 1

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.syscall.restype = ctypes.c_long


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _bytes(text: str | None) -> bytes | None:
    return None if text is None else text.encode()


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc.mount(_bytes(source), _bytes(target), _bytes(fstype), flags, _bytes(data)), f"mount {target}")


def _prctl(option: int, arg: int, what: str) -> None:
    _check(_libc.prctl(option, arg, 0, 0, 0), what)


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, 0 when it has none."""
    return max(int(_libc.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))), 0)


def prepare() -> int | None:
    """In the fork server, once: adopt orphans (so a command's leftovers can be found and killed), keep its
    own /proc entries private, and build the Landlock ruleset every child applies (None without Landlock)."""
    _prctl(_PR_SET_CHILD_SUBREAPER, 1, "prctl(PR_SET_CHILD_SUBREAPER)")
    _prctl(_PR_SET_DUMPABLE, 0, "prctl(PR_SET_DUMPABLE)")
    # other processes' /proc entries vanish for a command that may not ptrace them (where the kernel can;
    # elsewhere Landlock still refuses access to their sensitive entries)
    with contextlib.suppress(OSError):
        _mount(None, "/proc", None, _MS_REMOUNT, "hidepid=2")
    return _ruleset(landlock_abi())


def _ruleset(abi: int) -> int | None:
    if abi <= 0:
        return None
    if abi >= 6:  # scoping signals and abstract sockets; no file or network rule: namespaces do that
        attr = struct.pack("=QQQ", 0, 0, _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL)
    else:  # a domain all the same (it bars ptrace across domains): handle one right and grant it everywhere
        attr = struct.pack("=Q", _FS_EXECUTE)
    fd = int(_libc.syscall(_CREATE_RULESET, ctypes.c_char_p(attr), ctypes.c_size_t(len(attr)), ctypes.c_uint32(0)))
    if fd < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    if abi < 6:
        root = os.open("/", os.O_PATH | os.O_CLOEXEC)
        try:
            rule = struct.pack("=Qi", _FS_EXECUTE, root)
            _check(int(_libc.syscall(_ADD_RULE, ctypes.c_int(fd), ctypes.c_int(_RULE_PATH_BENEATH),
                                     ctypes.c_char_p(rule), ctypes.c_uint32(0))), "landlock_add_rule")
        finally:
            os.close(root)
    return fd


def confine(spec: dict[str, Any], ruleset: int | None) -> None:
    """In a forked child: its own mounts, then no privileges, then its own Landlock domain."""
    _mounts(spec)
    if spec.get("uid") is not None:
        _name_the_user(spec["uid"], spec.get("gid", spec["uid"]), spec["workdir"])
    _drop_privileges(spec.get("uid"), spec.get("gid"))
    if ruleset is not None:
        _check(int(_libc.syscall(_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0))), "landlock_restrict_self")


def _mounts(spec: dict[str, Any]) -> None:
    _check(_libc.unshare(_CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)  # nothing mounted here shows in the fork server's view
    source = os.path.normpath(os.path.join(WORK_MOUNT, spec["source"]))
    if not source.startswith(WORK_MOUNT + "/"):
        raise OSError(22, f"working dir {spec['source']!r} is outside the work root")
    # held open across the mounts below, which hide their paths
    folder = os.open(source, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    kept = {path: os.open(path, os.O_PATH | os.O_CLOEXEC) for path in spec.get("keep", ())}
    try:
        private = _MS_NOSUID | _MS_NODEV
        _mount("tmpfs", "/tmp", "tmpfs", private, "mode=1777")  # noqa: S108 - the command's own /tmp
        _mount("tmpfs", "/dev/shm", "tmpfs", private, "mode=1777")  # noqa: S108 - its own, fresh
        for root in spec.get("roots", ()):
            _mount("tmpfs", root, "tmpfs", private, "mode=0755")
        for path, fd in kept.items():  # tools installed under /tmp, shown read-only
            os.makedirs(path, exist_ok=True)
            _mount(f"/proc/self/fd/{fd}", path, None, _MS_BIND | _MS_REC)  # read-only as the mount it copies
        workdir = spec["workdir"]
        os.makedirs(workdir, exist_ok=True)
        _mount(f"/proc/self/fd/{folder}", workdir, None, _MS_BIND)
    finally:
        os.close(folder)
        for fd in kept.values():
            os.close(fd)
    _mount("tmpfs", "/run", "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=0755")  # covers WORK_MOUNT


def _name_the_user(uid: int, gid: int, home: str) -> None:
    """Give the run's uid a name: /etc/passwd and /etc/group, as the command sees them, gain an entry for it
    (`legato-task`, home its working dir). Tools that look their user up refuse to run without one (Hadoop's
    login in Spark: "invalid null input: name"; ssh; getpass). The files are this child's own copies, bound
    read-only over the sandbox's, from the private /run it cannot write."""
    folder = "/run/legato-identity"
    os.makedirs(folder, mode=0o755, exist_ok=True)
    for name, number, entry in (("passwd", uid, f"{USER}:x:{uid}:{gid}:Legato task run:{home}:/bin/sh\n"),
                                ("group", gid, f"{USER}:x:{gid}:\n")):
        target = f"/etc/{name}"
        if not os.path.isfile(target):
            continue  # a sandbox without the file: the lookup fails as it would anyway
        with open(target) as f:
            lines = f.read()
        if any(line.split(":")[2:3] == [str(number)] for line in lines.splitlines()):
            continue  # the id has a name already
        copy = f"{folder}/{name}"
        with open(copy, "w") as f:
            f.write(lines if not lines or lines.endswith("\n") else lines + "\n")
            f.write(entry)
        os.chmod(copy, 0o644)
        _mount(copy, target, None, _MS_BIND)
        _mount(None, target, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)


def _drop_privileges(uid: int | None, gid: int | None) -> None:
    _prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)")
    with open("/proc/sys/kernel/cap_last_cap") as f:
        last = int(f.read())
    for cap in range(last + 1):  # an exec'd setuid binary or uid-0 program gets nothing back
        _prctl(_PR_CAPBSET_DROP, cap, "prctl(PR_CAPBSET_DROP)")
    if uid is not None:
        group = uid if gid is None else gid
        os.setgroups([])
        os.setresgid(group, group, group)
        os.setresuid(uid, uid, uid)  # a uid change from 0 clears every capability
    else:
        header = struct.pack("=Ii", _LINUX_CAPABILITY_VERSION_3, 0)
        data = bytes(24)  # two empty (effective, permitted, inheritable) sets
        _check(int(_libc.syscall(_CAPSET, ctypes.c_char_p(header), ctypes.c_char_p(data))), "capset")
    _prctl(_PR_SET_NO_NEW_PRIVS, 1, "prctl(PR_SET_NO_NEW_PRIVS)")
    _prctl(_PR_SET_DUMPABLE, 1, "prctl(PR_SET_DUMPABLE)")  # its own /proc entries readable, as after an exec


def kill_user(uid: int, signal_number: int) -> None:
    """Signal every process of `uid` in this sandbox (what a run left running after it ended)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry}").st_uid == uid:
                os.kill(int(entry), signal_number)
        except OSError:
            continue
