"""A real OpenSSH server for the tests, on 127.0.0.1 and a free port: the Git tasks reach repositories through
it, the SSH and SFTP tasks run commands and move files with it.

It accepts one client key (ECDSA, PEM, with a passphrase, as Kestra's docs generate them) for the user running
the tests, and, for password logins, a user `alice` whose password and home directory are the test's own. Alice
exists only for this sshd: it runs in a private mount namespace where copies of /etc/passwd and /etc/shadow
holding her are mounted over the real ones, so the machine's user database is never touched."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.services import unavailable

PASSWORD_USER = "alice"


class SshServer:
    """A running sshd: where it listens and the credentials it accepts."""

    passphrase = "open sesame"  # of `private_key`
    password = "alice-s3cret"  # of PASSWORD_USER

    def __init__(self, root: Path, port: int, private_key: str, home: Path | None, state: Path) -> None:
        self.root = root
        self.state = state
        self.port = port
        self.private_key = private_key
        self.home = home  # PASSWORD_USER's home directory, when password logins are on
        self.user = os.environ.get("USER", "root")

    def authorize(self, name: str) -> Path:
        """A new key pair without passphrase, `<state>/<name>`, whose public key the server accepts; its path."""
        key = self.state / name
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        with (self.state / "authorized_keys").open("a") as keys:
            keys.write(key.with_suffix(".pub").read_text())
        return key

    def url(self, repo: str) -> str:
        """The SSH address of a bare repository `<root>/<repo>.git`."""
        return f"ssh://{self.user}@127.0.0.1:{self.port}{self.root}/{repo}.git"


def _sshd() -> str:
    sshd = shutil.which("sshd") or ("/usr/sbin/sshd" if Path("/usr/sbin/sshd").exists() else None)
    if sshd is None:
        unavailable("sshd", "not installed (Debian: apt-get install openssh-server, or make system-deps)")
    assert sshd is not None
    return sshd


def _password_logins(state: Path, home: Path) -> list[str]:
    """The command prefix that runs sshd where PASSWORD_USER exists (a private mount namespace over copies of
    the user database), or unavailable() when this machine cannot make one."""
    if shutil.which("unshare") is None or shutil.which("openssl") is None or os.geteuid() != 0:
        unavailable("sshd with password logins", "needs root, unshare (util-linux) and openssl")
    hashed = subprocess.run(["openssl", "passwd", "-6", SshServer.password], capture_output=True, text=True,
                            check=True).stdout.strip()
    # uid 0 so that the user can read and write the tests' files, which root owns
    (state / "passwd").write_text(Path("/etc/passwd").read_text() + f"{PASSWORD_USER}:x:0:0::{home}:/bin/sh\n")
    shadow = Path("/etc/shadow").read_text() if Path("/etc/shadow").exists() else ""
    (state / "shadow").write_text(shadow + f"{PASSWORD_USER}:{hashed}:19000:0:99999:7:::\n")
    os.chmod(state / "shadow", 0o600)
    script = (f'mount --bind "{state / "passwd"}" /etc/passwd && mount --bind "{state / "shadow"}" /etc/shadow'
              ' && exec "$0" "$@"')
    return ["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script]


@contextmanager
def ssh_server(root: Path, state: Path, *, password_home: Path | None = None) -> Iterator[SshServer]:
    """sshd on a free port with its own host key, accepting a fresh key pair's public key; with `password_home`,
    also PASSWORD_USER's password, that user's home being `password_home`."""
    sshd = _sshd()
    state.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(state / "host_key")], check=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ecdsa", "-b", "256", "-m", "PEM", "-N", SshServer.passphrase,
                    "-f", str(state / "client_key")], check=True)
    (state / "authorized_keys").write_text((state / "client_key.pub").read_text())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    prefix: list[str] = []
    if password_home is not None:
        password_home.mkdir(parents=True, exist_ok=True)
        prefix = _password_logins(state, password_home)
    config = state / "sshd_config"
    config.write_text(f"Port {port}\nListenAddress 127.0.0.1\nHostKey {state / 'host_key'}\n"
                      f"AuthorizedKeysFile {state / 'authorized_keys'}\n"
                      f"PasswordAuthentication {'yes' if password_home else 'no'}\n"
                      f"PermitRootLogin {'yes' if password_home else 'prohibit-password'}\n"
                      "KbdInteractiveAuthentication no\nStrictModes no\n"
                      f"PidFile {state / 'sshd.pid'}\nUsePAM no\nSetEnv GIT_CONFIG_NOSYSTEM=1\n"
                      "AcceptEnv LEGATO_* GREETING\n"
                      "Subsystem sftp internal-sftp\n")
    Path("/run/sshd").mkdir(exist_ok=True)  # privilege separation directory
    process = subprocess.Popen([*prefix, sshd, "-D", "-e", "-f", str(config)], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    unavailable("sshd", process.communicate()[1].decode() or "did not start")
                time.sleep(0.05)
        yield SshServer(root, port, (state / "client_key").read_text(), password_home, state)
    finally:
        process.terminate()
        process.wait(10)
