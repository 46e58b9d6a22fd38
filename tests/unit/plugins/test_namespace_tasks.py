"""namespace.UploadFiles, DownloadFiles and DeleteFiles over a real LocalStorage, in Kestra's layout
(kestra:///<namespace as folders>/_files/<path>), the tree the API serves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from legato.plugins.context import TaskFailed
from legato.storage import LocalStorage
from tests.unit.plugins.conftest import Harness

FILES = "kestra:///company/team/_files"


def run(harness: Harness, storage: LocalStorage, source: str, **kwargs: Any) -> tuple[dict[str, Any], Any]:
    ctx = harness.context(storage=storage, **kwargs)
    return harness.run(source, ctx), ctx


def own_file(storage: LocalStorage, ctx: Any, name: str, data: bytes) -> str:
    """A file written by an earlier task of the execution `ctx` runs in."""
    e = ctx.execution
    return storage.put(f"kestra:///company/team/{e.flow_id}/executions/{e.id}/tasks/earlier/run1/{name}", data)


def test_upload_a_map_then_download_by_glob_then_delete(harness: Harness, storage: LocalStorage) -> None:
    ctx = harness.context(storage=storage, task_id="upload")
    script = own_file(storage, ctx, "main.py", b"print('hi')\n")
    query = own_file(storage, ctx, "q.sql", b"select 1")
    out = harness.run(f"""
id: upload
type: io.kestra.plugin.core.namespace.UploadFiles
namespace: company.team
files:
  /scripts/main.py: "{script}"
  sql/q.sql: "{query}"
""", ctx)
    assert out["files"] == {"/scripts/main.py": f"{FILES}/scripts/main.py", "/sql/q.sql": f"{FILES}/sql/q.sql"}
    assert storage.get(f"{FILES}/scripts/main.py") == b"print('hi')\n"
    assert ctx.effects.extra["metrics"] == [{"name": "uploaded", "type": "counter", "value": 2}]

    down = harness.context(storage=storage, execution=ctx.execution, task_id="download")
    got = harness.run("id: download\ntype: io.kestra.plugin.core.namespace.DownloadFiles\nnamespace: company.team\nfiles: ['**.py']\n", down)
    assert list(got["files"]) == ["/scripts/main.py"]
    copy = got["files"]["/scripts/main.py"]
    assert copy.startswith(f"kestra:///company/team/orders/executions/{ctx.execution.id}/tasks/download/")
    assert copy.endswith("/scripts/main.py") and storage.get(copy) == b"print('hi')\n"

    gone, _ = run(harness, storage, "id: d\ntype: io.kestra.plugin.core.namespace.DeleteFiles\nfiles: '/sql/*'\ndeleteParentFolder: true\n")
    assert gone["files"] == {"/sql/q.sql": f"{FILES}/sql/q.sql"}
    assert not storage.exists(f"{FILES}/sql/q.sql") and storage.exists(f"{FILES}/scripts/main.py")
    assert not (storage.path_of(FILES) / "sql").exists()  # the folder left empty went too


def test_upload_a_list_goes_under_destination_and_conflict_rules(harness: Harness, storage: LocalStorage) -> None:
    ctx = harness.context(storage=storage)
    report = own_file(storage, ctx, "report.csv", b"new")
    storage.put(f"{FILES}/reports/report.csv", b"old")
    task = f"id: u\ntype: io.kestra.plugin.core.namespace.UploadFiles\nfiles: ['{report}']\ndestination: /reports\n"
    skipped = harness.run(task + "conflict: SKIP\n", ctx)
    assert skipped["files"] == {} and storage.get(f"{FILES}/reports/report.csv") == b"old"
    fresh = own_file(storage, ctx, "fresh.csv", b"f")
    both = f"id: u\ntype: namespace.UploadFiles\nfiles: ['{fresh}', '{report}']\ndestination: /reports\nconflict: ERROR\n"
    with pytest.raises(TaskFailed, match=r"/reports/report.csv already exists in company.team \(conflict: ERROR\)"):
        harness.run(both, harness.context(storage=storage, execution=ctx.execution))
    assert not storage.exists(f"{FILES}/reports/fresh.csv")  # a conflict uploads nothing
    replaced = harness.run(task, harness.context(storage=storage, execution=ctx.execution))
    assert replaced["files"] == {"/reports/report.csv": f"{FILES}/reports/report.csv"}
    assert storage.get(f"{FILES}/reports/report.csv") == b"new"


def test_upload_refuses_paths_outside_the_tree_and_files_of_other_executions(harness: Harness, storage: LocalStorage) -> None:
    ctx = harness.context(storage=storage)
    mine = own_file(storage, ctx, "a.txt", b"a")
    with pytest.raises(TaskFailed, match="inside the namespace's files"):
        harness.run(f"id: u\ntype: namespace.UploadFiles\nfiles:\n  ../../escape.txt: '{mine}'\n", ctx)
    foreign = storage.put("kestra:///company/team/orders/executions/someoneelse/tasks/t/r/secret.txt", b"s")
    with pytest.raises(TaskFailed, match="does not belong to the current execution"):
        harness.run(f"id: u\ntype: namespace.UploadFiles\nfiles: ['{foreign}']\n", harness.context(storage=storage))
    with pytest.raises(TaskFailed, match="outside one"):
        harness.run("id: u\ntype: namespace.UploadFiles\nfiles: ['glob:**/dbt/**']\n", harness.context(storage=storage))
    with pytest.raises(TaskFailed, match="not a valid namespace"):
        harness.run(f"id: u\ntype: namespace.UploadFiles\nnamespace: '../x'\nfiles: ['{mine}']\n", harness.context(storage=storage))


def test_upload_globs_from_the_working_directory(harness: Harness, storage: LocalStorage, tmp_path: Path) -> None:
    workdir = tmp_path / "wd"
    (workdir / "project" / "dbt" / "models").mkdir(parents=True)
    (workdir / "project" / "dbt" / "models" / "a.sql").write_text("select 1")
    (workdir / "project" / "readme.md").write_text("x")
    ctx = harness.context(storage=storage)
    ctx.working_dir = workdir  # as a WorkingDirectory sets it for the tasks it runs
    out = harness.run("id: u\ntype: namespace.UploadFiles\nfiles: ['glob:**/dbt/**']\ndestination: /code\n", ctx)
    assert out["files"] == {"/code/project/dbt/models/a.sql": f"{FILES}/code/project/dbt/models/a.sql"}


def test_download_glob_rules(harness: Harness, storage: LocalStorage) -> None:
    for path in ("input.txt", "a/input.txt", "a/b/other.txt", "top.sql"):
        storage.put(f"{FILES}/{path}", path.encode())
    storage.put(f"{FILES}/a/.tmp-input.txt", b"half-written")  # an upload in progress is never listed
    got, _ = run(harness, storage, "id: d\ntype: io.kestra.plugin.core.namespace.DownloadFiles\nnamespace: company.team\nfiles: '**input.txt'\n")
    assert sorted(got["files"]) == ["/a/input.txt", "/input.txt"]
    top, _ = run(harness, storage, "id: d\ntype: namespace.DownloadFiles\nfiles: ['*']\n")
    assert sorted(top["files"]) == ["/input.txt", "/top.sql"]
    none, _ = run(harness, storage, "id: d\ntype: namespace.DownloadFiles\nfiles: ['nothing/**']\n")
    assert none["files"] == {}


def test_another_namespace_is_out_of_reach(harness: Harness, storage: LocalStorage) -> None:
    storage.put("kestra:///company/shared/_files/input.txt", b"theirs")
    for task in ("DownloadFiles\nfiles: ['**']", "DeleteFiles\nfiles: ['**']", "UploadFiles\nfiles: {'/x': 'kestra:///company/shared/_files/input.txt'}"):
        with pytest.raises(TaskFailed, match=r"cannot reach the files of namespace 'company\.shared'"):
            run(harness, storage, f"id: d\ntype: namespace.{task}\nnamespace: company.shared\n")
    assert storage.get("kestra:///company/shared/_files/input.txt") == b"theirs"
