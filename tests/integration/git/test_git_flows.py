"""PushFlows and SyncFlows against a real Git server: the round trip the issue asks for (flows pushed from Legato,
edited in the repository, synced back), dry runs, child namespaces, and an invalid flow changing nothing."""

from __future__ import annotations

import json

import pytest
from tests.builders import log_flow
from tests.git_server import GitServer
from tests.integration.git.conftest import Tasks

from legato.plugins.context import TaskFailed

NS = "company.team"


def flow(flow_id: str, namespace: str = NS, message: str = "hi") -> str:
    return log_flow(flow_id, namespace, message)


def rows(tasks: Tasks, uri: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in tasks.storage.get(uri).decode().splitlines()]


def deployed(tasks: Tasks) -> dict[tuple[str, str], tuple[int, str]]:
    return {(r.namespace, r.id): (r.revision, r.source) for r in tasks.harness.store.list_flows()}


def save(tasks: Tasks, source: str) -> None:
    import yaml

    data = yaml.safe_load(source)
    tasks.harness.store.save_flow(data["namespace"], data["id"], source, disabled=False, now=tasks.harness.clock())


def auth(server: GitServer) -> str:
    return f"url: {server.url('repo')}\nusername: alice\npassword: s3cret-token\n"


def test_round_trip_push_edit_sync(server: GitServer, tasks: Tasks) -> None:
    server.create("repo", {"README.md": "x"})
    save(tasks, flow("orders"))
    save(tasks, flow("billing", f"{NS}.finance"))
    save(tasks, flow("other", "company.other"))  # not under company.team: never pushed
    push = f"id: push\ntype: io.kestra.plugin.git.PushFlows\n{auth(server)}includeChildNamespaces: true\n"
    outputs, _ = tasks.run(push, namespace=NS)
    assert server.files("repo") == ["README.md", "_flows/finance/billing.yml", "_flows/orders.yml"]
    assert server.show("repo", "_flows/orders.yml") == flow("orders")
    assert [r["file"] for r in rows(tasks, outputs["flows"])] == ["_flows/finance/billing.yml", "_flows/orders.yml"]

    # edited in the repository: one flow changed, one added, one removed
    server.commit("repo", {"_flows/orders.yml": flow("orders", message="changed"),
                           "_flows/shipping.yaml": flow("shipping", namespace="anything.else"),
                           "_flows/finance/billing.yml": None}, "edit in git")
    sync = f"id: sync\ntype: io.kestra.plugin.git.SyncFlows\n{auth(server)}includeChildNamespaces: true\ndelete: true\n"
    before = deployed(tasks)
    dry, _ = tasks.run(sync + "dryRun: true\n", namespace=NS)
    assert deployed(tasks) == before  # a dry run changes nothing
    expected = [
        {"syncState": "DELETED", "namespace": f"{NS}.finance", "flowId": "billing", "revision": 1},
        {"syncState": "UPDATED", "namespace": NS, "flowId": "orders", "revision": 2, "gitPath": "_flows/orders.yml"},
        {"syncState": "ADDED", "namespace": NS, "flowId": "shipping", "revision": 1, "gitPath": "_flows/shipping.yaml"},
    ]
    assert rows(tasks, dry["flows"]) == expected
    done, _ = tasks.run(sync, namespace=NS)
    assert rows(tasks, done["flows"]) == expected
    after = deployed(tasks)
    assert after[(NS, "orders")] == (2, flow("orders", message="changed").rstrip())
    assert after[(NS, "shipping")][1].startswith("id: shipping\nnamespace: company.team\n")  # placed in the namespace
    assert (f"{NS}.finance", "billing") not in after and ("company.other", "other") in after
    # the same sync again: nothing changes
    again, _ = tasks.run(sync, namespace=NS)
    assert {r["syncState"] for r in rows(tasks, again["flows"])} == {"UNCHANGED"}


def test_an_invalid_flow_in_the_branch_changes_nothing(server: GitServer, tasks: Tasks) -> None:
    server.create("repo", {"_flows/a.yml": flow("a", message="new"), "_flows/b.yml": "id: b\nnamespace: x\ntasks: 3\n"})
    save(tasks, flow("a"))
    sync = f"id: sync\ntype: io.kestra.plugin.git.SyncFlows\n{auth(server)}"
    before = deployed(tasks)
    with pytest.raises(TaskFailed, match=r"invalid flow imported from Git \(_flows/b.yml\)"):
        tasks.run(sync, namespace=NS)
    assert deployed(tasks) == before
    outputs, ctx = tasks.run(sync + "ignoreInvalidFlows: true\n", namespace=NS)
    assert [r["flowId"] for r in rows(tasks, outputs["flows"])] == ["a"]
    assert any("Invalid flow imported from Git (_flows/b.yml)" in m for m in tasks.messages(ctx))


def test_another_namespace_is_refused(server: GitServer, tasks: Tasks) -> None:
    server.create("repo", {"README.md": "x"})
    with pytest.raises(TaskFailed, match="only its own namespace"):
        tasks.run(f"id: push\ntype: io.kestra.plugin.git.PushFlows\n{auth(server)}sourceNamespace: company\n",
                  namespace=NS)
    with pytest.raises(TaskFailed, match="only its own namespace"):
        tasks.run(f"id: sync\ntype: io.kestra.plugin.git.SyncFlows\n{auth(server)}targetNamespace: company.other\n",
                  namespace=NS)


def test_target_namespace_and_glob(server: GitServer, tasks: Tasks) -> None:
    server.create("repo", {})
    save(tasks, flow("etl_orders"))
    save(tasks, flow("report"))
    push = (f"id: push\ntype: io.kestra.plugin.git.PushFlows\n{auth(server)}targetNamespace: prod.team\n"
            "flows: 'etl_*'\nbranch: release\n")
    tasks.run(push, namespace=NS)
    assert server.files("repo", "release") == ["_flows/etl_orders.yml"]
    assert "namespace: prod.team\n" in server.show("repo", "_flows/etl_orders.yml", "release")
