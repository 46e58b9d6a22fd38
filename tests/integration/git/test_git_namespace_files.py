"""PushNamespaceFiles and SyncNamespaceFiles against a real Git server: a namespace's files go to a branch,
are edited there, and come back; dry runs describe without changing anything."""

from __future__ import annotations

import json

import pytest
from tests.git_server import GitServer
from tests.integration.git.conftest import Tasks

from legato.plugins.context import TaskFailed
from legato.storage import namespace_files

NS = "company.team"


def auth(server: GitServer) -> str:
    return f"url: {server.url('repo')}\nusername: alice\npassword: s3cret-token\n"


def rows(tasks: Tasks, uri: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in tasks.storage.get(uri).decode().splitlines()]


def put(tasks: Tasks, path: str, text: str) -> None:
    tasks.storage.put(namespace_files.file_uri(NS, path), text.encode())


def files(tasks: Tasks) -> dict[str, str]:
    return {
        p: tasks.storage.get(u).decode() for p, u in namespace_files.list_files(tasks.storage, NS).items()
    }


def test_push_then_sync_round_trip(server: GitServer, tasks: Tasks) -> None:
    server.create("repo", {"README.md": "flows\n"})
    put(tasks, "/queries/orders.sql", "select 1\n")
    put(tasks, "/etl.py", "print('a')\n")
    push = f"id: push\ntype: io.kestra.plugin.git.PushNamespaceFiles\n{auth(server)}branch: main\nnamespace: {NS}\n"
    outputs, _ = tasks.run(
        push + "commitMessage: first push\nauthorName: Ada\nauthorEmail: ada@example.com\n"
    )
    assert len(outputs["commitId"]) == 40
    assert outputs["commitURL"] == f"http://127.0.0.1:{server.port}/repo/commit/{outputs['commitId']}"
    assert server.files("repo") == ["README.md", "_files/etl.py", "_files/queries/orders.sql"]
    assert server.log("repo")[0] == "first push"
    assert rows(tasks, outputs["files"]) == [
        {"file": "_files/etl.py", "additions": "+1", "deletions": "-0", "changes": "0"},
        {"file": "_files/queries/orders.sql", "additions": "+1", "deletions": "-0", "changes": "0"},
    ]
    # nothing changed: no commit
    again, _ = tasks.run(push)
    assert again["commitId"] is None and rows(tasks, again["files"]) == []

    # someone edits the branch
    server.commit(
        "repo",
        {"_files/etl.py": "print('b')\n", "_files/new.sh": "echo hi\n", "_files/queries/orders.sql": None},
        "edit",
    )
    sync = f"id: sync\ntype: io.kestra.plugin.git.SyncNamespaceFiles\n{auth(server)}namespace: {NS}\n"
    dry, _ = tasks.run(sync + "dryRun: true\ndelete: true\n")
    assert files(tasks)["/etl.py"] == "print('a')\n"  # dry run: nothing changed
    expected = [
        {"syncState": "DELETED", "kestraPath": "/queries/orders.sql"},
        {"syncState": "OVERWRITTEN", "kestraPath": "/etl.py", "gitPath": "_files/etl.py"},
        {"syncState": "ADDED", "kestraPath": "/new.sh", "gitPath": "_files/new.sh"},
    ]
    assert rows(tasks, dry["files"]) == expected
    done, _ = tasks.run(sync + "delete: true\n")
    assert rows(tasks, done["files"]) == expected
    assert files(tasks) == {"/etl.py": "print('b')\n", "/new.sh": "echo hi\n"}


def test_push_to_a_new_branch_of_an_empty_repository_and_dry_run(server: GitServer, tasks: Tasks) -> None:
    server.create("repo", {})
    put(tasks, "/a.txt", "one\ntwo\n")
    push = f"id: push\ntype: io.kestra.plugin.git.PushNamespaceFiles\n{auth(server)}branch: dev\ngitDirectory: ns\n"
    dry, _ = tasks.run(push + "dryRun: true\n")
    assert dry["commitId"] is None and rows(tasks, dry["files"])[0]["file"] == "ns/a.txt"
    assert server.pushes == 0
    outputs, ctx = tasks.run(push)
    assert server.files("repo", "dev") == ["ns/a.txt"] and outputs["commitId"]
    assert any("does not exist, creating it" in m for m in tasks.messages(ctx))
    # changed and deleted files on the next push: `changes` counts lines replaced one for one
    put(tasks, "/a.txt", "one\nTWO\n")
    put(tasks, "/b.txt", "b\n")
    outputs, _ = tasks.run(push + "files: ['a.txt']\n")
    assert rows(tasks, outputs["files"]) == [
        {"file": "ns/a.txt", "additions": "+0", "deletions": "-0", "changes": "1"}
    ]
    assert server.files("repo", "dev") == ["ns/a.txt"]


def test_sync_of_a_missing_folder(server: GitServer, tasks: Tasks) -> None:
    server.create("repo", {"README.md": "x"})
    sync = f"id: sync\ntype: io.kestra.plugin.git.SyncNamespaceFiles\n{auth(server)}"
    with pytest.raises(TaskFailed, match="'_files' was not found"):
        tasks.run(sync)
    outputs, _ = tasks.run(sync + "failOnMissingDirectory: false\n")
    assert rows(tasks, outputs["files"]) == []
