"""The SFTP and FTP triggers on real servers, run by the scheduler's polling loop: arriving files start one
execution each poll (trigger.files, each downloaded to internal storage), MOVE acts once the execution is
recorded, NONE fires again only for a changed file."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from tests.integration.fs.conftest import FtpServer
from tests.integration.triggers.polling_support import Server, all_ended, deploy_flow, executions, wait_until
from tests.sshd import PASSWORD_USER, SshServer

from legato.model.state import State
from legato.store.sql import SqlStore


def _flow(protocol: str, connection: str, extra: str) -> str:
    return f"""id: watch
namespace: tests.remote
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ trigger.files | length }}}} files"
triggers:
  - id: files
    type: io.kestra.plugin.fs.{protocol}.Trigger
{connection}    from: /in
    regExp: ".*\\\\.csv"
    interval: PT0.2S
{extra}"""


def _names(store: SqlStore) -> list[str]:
    return sorted(f["name"] for e in executions(store, "tests.remote") for f in e.trigger["files"])  # type: ignore[index]


def test_sftp_trigger_moves_what_it_fired(sqlite_store: SqlStore, tmp_path: Path, sshd: SshServer) -> None:
    assert sshd.home is not None
    incoming = sshd.home / "in"
    incoming.mkdir()
    for n in range(3):
        (incoming / f"f{n}.csv").write_text(f"row,{n}\n")
    (incoming / "skip.txt").write_text("not a csv")
    connection = (f"    host: 127.0.0.1\n    port: {sshd.port}\n    username: {PASSWORD_USER}\n"
                  f"    password: {sshd.password}\n")
    deploy_flow(sqlite_store, _flow("sftp", connection, "    action: MOVE\n    moveDirectory: /archive\n    maxFiles: 2\n"))

    async def main() -> Server:
        server = Server(sqlite_store, tmp_path).start()
        await wait_until(lambda: _names(sqlite_store) == ["f0.csv", "f1.csv", "f2.csv"]
                         and all_ended(sqlite_store, "tests.remote", 2), timeout=60, message="3 files")
        await asyncio.sleep(0.5)
        await server.stop()
        return server

    server = asyncio.run(main())
    done = executions(sqlite_store, "tests.remote")
    assert sorted(len(e.trigger["files"]) for e in done) == [1, 2]  # type: ignore[index]
    assert {e.state for e in done} == {State.SUCCESS}
    assert sorted(p.name for p in incoming.iterdir()) == ["skip.txt"]
    assert sorted(p.name for p in (sshd.home / "archive").iterdir()) == ["f0.csv", "f1.csv", "f2.csv"]
    item = done[0].trigger["files"][0]  # type: ignore[index]
    assert item["changeType"] == "CREATE" and item["fileType"] == "FILE"
    assert server.sources.firer.storage.get(item["path"]).decode() == (sshd.home / "archive" / item["name"]).read_text()


def test_ftp_trigger_with_none_fires_again_only_for_a_changed_file(sqlite_store: SqlStore, tmp_path: Path,
                                                                   ftp: FtpServer) -> None:
    incoming = ftp.root / "in"
    incoming.mkdir()
    (incoming / "a.csv").write_text("a\n")
    connection = f"    host: 127.0.0.1\n    port: {ftp.port}\n    username: {ftp.user}\n    password: {ftp.password}\n"
    deploy_flow(sqlite_store, _flow("ftp", connection, "    action: NONE\n"))

    async def main() -> None:
        server = Server(sqlite_store, tmp_path).start()
        await wait_until(lambda: all_ended(sqlite_store, "tests.remote", 1), timeout=60, message="first file")
        await asyncio.sleep(1.0)  # several polls: nothing new
        assert len(executions(sqlite_store, "tests.remote")) == 1
        (incoming / "a.csv").write_text("a changed\n")
        os.utime(incoming / "a.csv", (1_900_000_000, 1_900_000_000))
        await wait_until(lambda: all_ended(sqlite_store, "tests.remote", 2), timeout=60, message="the change")
        await server.stop()

    asyncio.run(main())
    changes = sorted(e.trigger["files"][0]["changeType"] for e in executions(sqlite_store, "tests.remote"))  # type: ignore[index]
    assert changes == ["CREATE", "UPDATE"]
    assert (incoming / "a.csv").exists()
