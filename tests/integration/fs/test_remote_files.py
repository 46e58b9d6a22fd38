"""The SFTP, FTP and FTPS tasks against real servers on 127.0.0.1 (OpenSSH's sftp subsystem, pyftpdlib with and
without TLS): a round trip Upload → List → Download → Move → Uploads → Downloads → Delete, each checked on the
server's disk, with Kestra's outputs."""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
import ssl
import subprocess
import threading
from pathlib import Path

import pytest
from tests.dns_double import fake_dns
from tests.integration.fs.conftest import FtpServer, Tasks
from tests.sshd import PASSWORD_USER, SshServer

from legato.plugins.context import TaskFailed
from legato.storage.namespace_files import file_uri


def _connection(protocol: str, port: int, user: str, password: str) -> str:
    extra = "insecureTrustAllCertificates: true\n" if protocol == "ftps" else ""
    return f"host: 127.0.0.1\nport: \"{port}\"\nusername: {user}\npassword: {password}\n{extra}"


def _round_trip(tasks: Tasks, protocol: str, connection: str, disk: Path) -> None:
    def run(name: str, body: str, task_id: str = "t") -> dict:
        return tasks.run(f"id: {task_id}\ntype: io.kestra.plugin.fs.{protocol}.{name}\n{connection}{body}")

    report = tasks.storage.put(file_uri("company.team", "/report.csv"), b"id,total\n1,10\n2,32\n")
    up = run("Upload", f"from: {report}\nto: /in/daily/report.csv\n")
    assert up == {"from": report, "to": f"{protocol}://127.0.0.1/in/daily/report.csv"}
    assert (disk / "in/daily/report.csv").read_text() == "id,total\n1,10\n2,32\n"
    with pytest.raises(TaskFailed, match="already exists"):
        run("Upload", f"from: {report}\nto: /in/daily/report.csv\noverwrite: false\n")

    listed = run("List", "from: /in\nrecursive: true\n")["files"]
    assert [(f["path"], f["name"], f["fileType"], f["size"]) for f in listed] == [
        ("/in/daily/report.csv", "report.csv", "FILE", 19)]
    assert listed[0]["updatedDate"].endswith("Z")
    assert run("List", "from: /in\n")["files"] == []  # not recursive: the sub-folder's files are not listed

    down = run("Download", "from: /in/daily/report.csv\n")
    assert down["from"] == f"{protocol}://127.0.0.1/in/daily/report.csv"
    assert tasks.storage.get(down["to"]) == b"id,total\n1,10\n2,32\n"
    assert down["checksum"] == hashlib.sha256(b"id,total\n1,10\n2,32\n").hexdigest()
    with pytest.raises(TaskFailed, match="checksum mismatch"):
        run("Download", "from: /in/daily/report.csv\nvalidateChecksum: true\nchecksumExpected: abc\n")

    moved = run("Move", "from: /in/daily/report.csv\nto: /archive/\n")
    assert moved["to"] == f"{protocol}://127.0.0.1/archive/report.csv"
    assert (disk / "archive/report.csv").exists() and not (disk / "in/daily/report.csv").exists()

    a = tasks.storage.put(file_uri("company.team", "/a.json"), b'{"a": 1}')
    b = tasks.storage.put(file_uri("company.team", "/b.txt"), b"bee")
    uploaded = run("Uploads", f"from:\n  first.json: {a}\n  second.txt: {b}\nto: /batch\n")["files"]
    assert sorted(uploaded) == [f"{protocol}://127.0.0.1/batch/first.json", f"{protocol}://127.0.0.1/batch/second.txt"]

    got = run("Downloads", "from: /batch\nregExp: '.*\\.json'\naction: MOVE\nmoveDirectory: /done\n")
    assert [f["name"] for f in got["files"]] == ["first.json"]
    assert tasks.storage.get(got["outputFiles"]["first.json"]) == b'{"a": 1}'
    assert (disk / "done/first.json").exists() and not (disk / "batch/first.json").exists()

    deleted = run("Delete", "uri: /batch/second.txt\n")
    assert deleted == {"uri": f"{protocol}://127.0.0.1/batch/second.txt", "deleted": True}
    assert run("Delete", "uri: /batch/second.txt\n")["deleted"] is False
    with pytest.raises(TaskFailed, match="Unable to find file"):
        run("Delete", "uri: /batch/second.txt\nerrorOnMissing: true\n")
    with pytest.raises(TaskFailed, match="not empty"):
        run("Delete", "uri: /done\n")
    assert run("Delete", "uri: /done\nrecursive: true\n")["deleted"] is True
    assert not (disk / "done").exists()


def test_sftp_round_trip_from_the_users_home(sshd: SshServer, tasks: Tasks) -> None:
    assert sshd.home is not None
    _round_trip(tasks, "sftp", _connection("sftp", sshd.port, PASSWORD_USER, sshd.password), sshd.home)


def test_sftp_with_a_key_and_paths_from_the_servers_root(sshd: SshServer, tasks: Tasks, tmp_path: Path) -> None:
    disk = tmp_path / "absolute"
    disk.mkdir()
    (disk / "hello.txt").write_text("hello")
    connection = (f"host: 127.0.0.1\nport: {sshd.port}\nusername: {sshd.user}\nkeyfile: {json.dumps(sshd.private_key)}\n"
                  f"passphrase: {sshd.passphrase}\nrootDir: false\n")
    got = tasks.run(f"id: d\ntype: io.kestra.plugin.fs.sftp.Download\n{connection}from: {disk}/hello.txt\n")
    assert tasks.storage.get(got["to"]) == b"hello"
    with pytest.raises(TaskFailed, match="does not exist on the server"):
        tasks.run(f"id: d\ntype: io.kestra.plugin.fs.sftp.Download\n{connection}from: {disk}/nothing.txt\n")


def test_ftp_round_trip(ftp: FtpServer, tasks: Tasks) -> None:
    _round_trip(tasks, "ftp", _connection("ftp", ftp.port, ftp.user, ftp.password), ftp.root)


def test_ftps_round_trip_with_explicit_tls(ftps: FtpServer, tasks: Tasks) -> None:
    _round_trip(tasks, "ftps", _connection("ftps", ftps.port, ftps.user, ftps.password), ftps.root)


def _self_signed_ftps(tmp_path: Path) -> tuple[int, threading.Thread]:
    """An FTPS control port (stdlib ssl) that offers AUTH TLS with a self-signed certificate and nothing more:
    pyftpdlib's pyOpenSSL handshake can abort the whole process when the client rejects its certificate."""
    cert = tmp_path / "self-signed.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-keyout", str(cert), "-out", str(cert)], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        with listener, listener.accept()[0] as conn:
            conn.sendall(b"220 ready\r\n")
            conn.recv(1024)  # AUTH TLS
            conn.sendall(b"234 go ahead\r\n")
            with contextlib.suppress(OSError):
                context.wrap_socket(conn, server_side=True).close()

    thread = threading.Thread(target=serve, name="self-signed-ftps", daemon=True)
    thread.start()
    return listener.getsockname()[1], thread


def test_ftps_refuses_an_untrusted_certificate_and_ftp_a_wrong_password(ftp: FtpServer, tasks: Tasks,
                                                                         tmp_path: Path) -> None:
    port, server = _self_signed_ftps(tmp_path)
    with pytest.raises(TaskFailed, match="CERTIFICATE_VERIFY_FAILED"):
        tasks.run(f"id: l\ntype: io.kestra.plugin.fs.ftps.List\nhost: 127.0.0.1\nport: {port}\n"
                  "username: bob\npassword: secret\nfrom: /\n")
    server.join(30)
    with pytest.raises(TaskFailed, match=r"FTP login to 127\.0\.0\.1.* failed"):
        tasks.run(f"id: l\ntype: io.kestra.plugin.fs.ftp.List\nhost: 127.0.0.1\nport: {ftp.port}\n"
                  f"username: {ftp.user}\npassword: wrong\nfrom: /\n")


def test_ftp_connects_to_the_address_the_guard_checked(ftp: FtpServer, tasks: Tasks, monkeypatch: pytest.MonkeyPatch) -> None:
    """A name is checked by what it resolves to (the fixture allows 127.0.0.1 only) and resolved once: the
    connection goes to the checked address, so a second answer (DNS rebinding) to an internal one is never used."""
    (ftp.root / "seen.txt").write_text("x")
    looked_up = fake_dns(monkeypatch, {"ftp.test": ["127.0.0.1", "127.0.0.2"], "inside.test": ["127.0.0.2"]})

    def listing(host: str) -> dict[str, object]:
        return tasks.run(f"id: l\ntype: io.kestra.plugin.fs.ftp.List\nhost: {host}\nport: {ftp.port}\n"
                         f"username: {ftp.user}\npassword: {ftp.password}\nfrom: /\n")

    with socket.create_server(("127.0.0.2", ftp.port)) as inside:
        inside.settimeout(0.5)
        assert [f["name"] for f in listing("ftp.test")["files"]] == ["seen.txt"]
        assert looked_up == ["ftp.test"]
        with pytest.raises(TimeoutError):
            inside.accept()  # nothing came to the rebound address
    with pytest.raises(TaskFailed, match=r"refusing to connect to inside\.test \(127\.0\.0\.2\)"):
        listing("inside.test")
