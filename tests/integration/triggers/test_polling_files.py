"""fs.local.Trigger on real directories: arriving files start executions (trigger.files, copied to internal
storage), MOVE/DELETE/NONE act once the execution is recorded, and a restart loses and repeats nothing."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from tests.integration.triggers.polling_support import Server, all_ended, deploy_flow, executions, wait_until

from legato.model.state import State
from legato.store.sql import SqlStore


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    allowed = tmp_path / "allowed"
    incoming, archive = allowed / "incoming", allowed / "archive"
    incoming.mkdir(parents=True)
    monkeypatch.setenv("LEGATO_LOCAL_FILES_ALLOWED", str(allowed))
    return incoming, archive


def flow(incoming: Path, extra: str) -> str:
    return f"""id: watch_files
namespace: tests.files
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ trigger.files | length }}}} files"
triggers:
  - id: files
    type: io.kestra.plugin.fs.local.Trigger
    from: {incoming}
    regExp: ".*\\\\.csv"
    interval: PT0.1S
{extra}"""


def _names(store: SqlStore) -> list[str]:
    return sorted(f["name"] for e in executions(store, "tests.files") for f in e.trigger["files"])  # type: ignore[index]


def _write(folder: Path, *numbers: int) -> None:
    for n in numbers:
        (folder / f"f{n:02d}.csv").write_text(f"row,{n}\n")


def test_moved_files_fire_once_each_across_a_restart(sqlite_store: SqlStore, tmp_path: Path, dirs: tuple[Path, Path]) -> None:
    incoming, archive = dirs
    deploy_flow(sqlite_store, flow(incoming, f"    action: MOVE\n    moveDirectory: {archive}\n    maxFiles: 2\n"))
    _write(incoming, *range(5))
    (incoming / "ignored.txt").write_text("not a csv")

    async def main() -> None:
        first = Server(sqlite_store, tmp_path).start()
        await wait_until(lambda: _names(sqlite_store) == [f"f{n:02d}.csv" for n in range(5)]
                         and all_ended(sqlite_store, "tests.files", 3), message="5 files")
        await first.stop()
        _write(incoming, *range(5, 8))
        second = Server(sqlite_store, tmp_path).start()
        await wait_until(lambda: _names(sqlite_store) == [f"f{n:02d}.csv" for n in range(8)]
                         and all_ended(sqlite_store, "tests.files", 5), message="8 files")
        await asyncio.sleep(0.3)
        await second.stop()

    asyncio.run(main())
    done = executions(sqlite_store, "tests.files")
    assert sorted(len(e.trigger["files"]) for e in done) == [1, 1, 2, 2, 2]  # type: ignore[index]  # maxFiles: 2
    assert {e.state for e in done} == {State.SUCCESS}
    assert sorted(p.name for p in incoming.iterdir()) == ["ignored.txt"]
    assert sorted(p.name for p in archive.iterdir()) == [f"f{n:02d}.csv" for n in range(8)]
    item = done[0].trigger["files"][0]  # type: ignore[index]
    assert item["path"] == str(incoming / item["name"]) and item["size"] == len(f"row,{int(item['name'][1:3])}\n")
    storage = Server(sqlite_store, tmp_path).sources.firer.storage
    assert storage.get(item["uri"]).decode() == (archive / item["name"]).read_text()


def test_none_fires_new_and_changed_files_only(sqlite_store: SqlStore, tmp_path: Path, dirs: tuple[Path, Path]) -> None:
    incoming, _ = dirs
    deploy_flow(sqlite_store, flow(incoming, "    action: NONE\n"))
    _write(incoming, 1, 2)

    async def main() -> None:
        server = Server(sqlite_store, tmp_path).start()
        await wait_until(lambda: all_ended(sqlite_store, "tests.files", 1), message="first execution")
        await asyncio.sleep(0.3)  # unchanged files do not fire again
        assert len(executions(sqlite_store, "tests.files")) == 1
        changed = incoming / "f01.csv"
        changed.write_text("row,1,changed\n")
        os.utime(changed, ns=(changed.stat().st_mtime_ns + 10**9,) * 2)
        await wait_until(lambda: all_ended(sqlite_store, "tests.files", 2), message="the change")
        await asyncio.sleep(0.3)
        await server.stop()

    asyncio.run(main())
    assert _names(sqlite_store) == ["f01.csv", "f01.csv", "f02.csv"]
    assert sorted(p.name for p in incoming.iterdir()) == ["f01.csv", "f02.csv"]


def test_directories_outside_the_allowed_ones_are_refused(sqlite_store: SqlStore, tmp_path: Path,
                                                         dirs: tuple[Path, Path], caplog: pytest.LogCaptureFixture) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    _write(outside, 1)
    deploy_flow(sqlite_store, flow(outside, "    action: DELETE\n"))

    async def main() -> None:
        server = Server(sqlite_store, tmp_path).start()
        await asyncio.sleep(0.5)
        await server.stop()

    asyncio.run(main())
    assert executions(sqlite_store, "tests.files") == []
    assert (outside / "f01.csv").exists()
    assert "is outside LEGATO_LOCAL_FILES_ALLOWED" in caplog.text
