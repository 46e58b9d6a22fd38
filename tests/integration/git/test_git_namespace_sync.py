"""NamespaceSync against a real Git server, both directions: Legato → Git in one commit, Git → Legato with
deletions, KEEP/FAIL for what the source lacks, protected namespaces, and invalid flows."""

from __future__ import annotations

import json

import pytest
import yaml
from tests.builders import log_flow
from tests.git_server import GitServer
from tests.integration.git.conftest import Tasks

from legato.plugins.context import TaskFailed
from legato.storage import namespace_files

NS = "company.team"


def flow(flow_id: str, message: str = "hi") -> str:
    return log_flow(flow_id, NS, message)


def rows(tasks: Tasks, uri: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in tasks.storage.get(uri).decode().splitlines()]


def save(tasks: Tasks, source: str) -> None:
    data = yaml.safe_load(source)
    tasks.harness.store.save_flow(data["namespace"], data["id"], source, disabled=False, now=tasks.harness.clock())


def sync(server: GitServer, extra: str = "") -> str:
    return (f"id: sync\ntype: io.kestra.plugin.git.NamespaceSync\nurl: {server.url('repo')}\nusername: alice\n"
            f"password: s3cret-token\nbranch: main\nnamespace: {NS}\ngitDirectory: kestra\n{extra}")


def test_legato_to_git_then_git_to_legato(server: GitServer, tasks: Tasks) -> None:
    server.create("repo", {"kestra/company.team/flows/stale.yaml": flow("stale")})
    save(tasks, flow("orders"))
    tasks.storage.put(namespace_files.file_uri(NS, "/sql/q.sql"), b"select 1\n")
    dry, _ = tasks.run(sync(server, "dryRun: true\n"), namespace=NS)
    assert sorted((r["key"], r["action"]) for r in rows(tasks, dry["diff"])) == [
        ("company.team:orders", "ADDED"), ("company.team:sql/q.sql", "ADDED"), ("company.team:stale", "DELETED_GIT")]
    assert server.pushes == 0
    outputs, _ = tasks.run(sync(server), namespace=NS)
    assert outputs["commitId"] and server.log("repo")[0] == "Namespace sync from Legato"
    assert server.files("repo") == ["kestra/company.team/files/sql/q.sql", "kestra/company.team/flows/orders.yaml"]

    # Git is now the source of truth: an edit, a new flow and a deleted file come back
    server.commit("repo", {"kestra/company.team/flows/orders.yaml": flow("orders", "edited"),
                           "kestra/company.team/flows/new.yaml": flow("new"),
                           "kestra/company.team/files/sql/q.sql": None}, "edit in git")
    back, _ = tasks.run(sync(server, "sourceOfTruth: GIT\n"), namespace=NS)
    assert sorted((r["key"], r["action"]) for r in rows(tasks, back["diff"])) == [
        ("company.team:new", "ADDED"), ("company.team:orders", "UPDATED_KES"), ("company.team:sql/q.sql", "DELETED_KES")]
    deployed = {r.id: r for r in tasks.harness.store.list_flows(NS)}
    assert "edited" in deployed["orders"].source and deployed["orders"].revision == 2 and "new" in deployed
    assert namespace_files.list_files(tasks.storage, NS) == {}


def test_keep_fail_and_invalid_flows(server: GitServer, tasks: Tasks) -> None:
    server.create("repo", {"kestra/company.team/flows/a.yaml": flow("a"),
                           "kestra/company.team/flows/broken.yaml": "id: broken\nnamespace: company.team\ntasks: 1\n"})
    save(tasks, flow("only_here"))
    before = tasks.harness.store.list_flows(NS)
    with pytest.raises(TaskFailed, match=r"invalid flow company\.team/flows/broken\.yaml in Git"):
        tasks.run(sync(server, "sourceOfTruth: GIT\n"), namespace=NS)
    with pytest.raises(TaskFailed, match="only_here is in Legato but not in the source of truth"):
        tasks.run(sync(server, "sourceOfTruth: GIT\nonInvalidSyntax: SKIP\nwhenMissingInSource: FAIL\n"), namespace=NS)
    assert tasks.harness.store.list_flows(NS) == before  # planned first: nothing changed
    outputs, _ = tasks.run(sync(server, "sourceOfTruth: GIT\nonInvalidSyntax: WARN\nwhenMissingInSource: KEEP\n"),
                           namespace=NS)
    assert [(r["key"], r["action"]) for r in rows(tasks, outputs["diff"])] == [("company.team:a", "ADDED")]
    assert {r.id for r in tasks.harness.store.list_flows(NS)} == {"a", "only_here"}
    protected, _ = tasks.run(sync(server, "sourceOfTruth: GIT\nonInvalidSyntax: SKIP\nprotectedNamespaces: [company]\n"),
                             namespace=NS)
    assert rows(tasks, protected["diff"]) == []  # only_here is protected from deletion
    assert {r.id for r in tasks.harness.store.list_flows(NS)} == {"a", "only_here"}
