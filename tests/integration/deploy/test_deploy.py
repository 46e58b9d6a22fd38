"""`legato deploy` through its parts, on a real SQLite store and internal storage: the plan (created, updated, deleted, unchanged, with diffs) changes nothing; the apply
saves a namespace's flows and suites in one transaction and writes its files; an invalid flow changes nothing."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from sqlalchemy.exc import OperationalError
from tests.builders import log_flow

from legato.clock import utcnow
from legato.deploy import layout, plan
from legato.deploy.targets import LocalTarget
from legato.model.errors import FlowValidationError
from legato.services import deploy_journal
from legato.services import flows as flow_service
from legato.services.flows import NamespaceDeploy
from legato.services.principal import SYSTEM
from legato.storage import LocalStorage
from legato.store import open_store
from legato.store.ports import JournalAbandoned, SuiteSave
from legato.store.sql import SqlStore


def flow(ns: str, flow_id: str, message: str = "hi") -> str:
    return log_flow(flow_id, ns, message, task_id="say")


def suite(ns: str, flow_id: str) -> str:
    return (f"id: {flow_id}_suite\nnamespace: {ns}\nflowId: {flow_id}\ntestCases:\n  - id: runs\n"
            "    type: io.kestra.core.tests.flow.UnitTest\n")


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.fixture
def local(tmp_path: Path) -> tuple[SqlStore, LocalTarget]:
    store = open_store(f"sqlite:///{tmp_path / 'db' / 'legato.db'}")
    store.migrate()
    return store, LocalTarget(store, LocalStorage(tmp_path / "storage"), by=SYSTEM, clock=utcnow)


def test_kestra_layout_plan_then_apply_then_delete(tmp_path: Path, local: tuple[SqlStore, LocalTarget]) -> None:
    store, target = local
    repo = write(tmp_path / "repo", {
        "company.team/flows/a.yaml": flow("company.team", "a"),
        "company.team/flows/b.yml": flow("company.team", "b"),
        "company.team/files/scripts/run.sh": "echo hi\n",
        "company.team/tests/a_suite.yaml": suite("company.team", "a"),
        "company.team.child/flows/c.yaml": flow("company.team.child", "c"),
    })
    first = plan.make(layout.read([repo]), target, delete=False)
    assert (first.count("create"), first.count("update"), first.count("delete")) == (5, 0, 0)
    assert store.list_flows() == []  # a plan changes nothing
    for ns in first.namespaces:
        target.apply(ns)
    assert [f.id for f in store.list_flows("company.team")] == ["a", "b"]
    assert [s.id for s in store.list_test_suites("company.team")] == ["a_suite"]
    assert target.files("company.team") == {"/scripts/run.sh": b"echo hi\n"}

    (repo / "company.team/flows/a.yaml").write_text(flow("company.team", "a", "changed"))
    (repo / "company.team/flows/b.yml").unlink()
    (repo / "company.team/files/scripts/run.sh").unlink()
    second = plan.make(layout.read([repo]), target, delete=True)
    text = second.render()
    assert "  ~ flow a (updated)" in text and "-    message: hi\n+    message: changed" in text
    assert "  - flow b (deleted)" in text and "  - file /scripts/run.sh (deleted)" in text
    assert "Plan: 0 to create, 1 to update, 2 to delete, 2 unchanged." in text
    for ns in second.namespaces:
        target.apply(ns)
    assert [f.id for f in store.list_flows("company.team")] == ["a"]
    assert "changed" in target.flows("company.team")["a"]
    assert target.files("company.team") == {}
    assert plan.make(layout.read([repo]), target, delete=True).count("unchanged") == 3


def test_flat_folder_and_namespace_scope(tmp_path: Path, local: tuple[SqlStore, LocalTarget]) -> None:
    store, target = local
    store.save_flow("prod.other", "old", flow("prod.other", "old"), disabled=False, now=utcnow())
    store.save_flow("elsewhere", "kept", flow("elsewhere", "kept"), disabled=False, now=utcnow())
    repo = write(tmp_path / "flat", {"one.yaml": flow("prod.team", "one"), "sub/suite.yaml": suite("prod.team", "one")})
    made = plan.make(layout.read([repo], namespace="prod"), target, delete=True, namespace="prod")
    assert [(ns.namespace, [(c.kind, c.key, c.action) for c in ns.changes]) for ns in made.namespaces] == [
        ("prod.other", [("flow", "old", "delete")]),
        ("prod.team", [("flow", "one", "create"), ("test", "one_suite", "create")]),
    ]
    with pytest.raises(FlowValidationError, match=r"'prod\.team' is outside the namespace dev"):
        layout.read([repo], namespace="dev")


def test_an_invalid_file_stops_everything_with_its_path_and_line(tmp_path: Path) -> None:
    repo = write(tmp_path / "repo", {"ns/flows/good.yaml": flow("ns", "good"),
                                     "ns/flows/bad.yaml": flow("ns", "bad").replace("message:", "mesage:"),
                                     "ns/flows/moved.yaml": flow("other", "moved")})
    with pytest.raises(FlowValidationError) as caught:
        layout.read([repo])
    text = str(caught.value)
    assert "ns/flows/bad.yaml:4:5: tasks[0]" in text
    assert "'other' is not the namespace of its folder 'ns'" in text


def dashboard(dashboard_id: str, title: str) -> str:
    return (f"id: {dashboard_id}\ntitle: {title}\ncharts:\n  - id: total\n"
            "    type: io.kestra.plugin.core.dashboard.chart.KPI\n    chartOptions:\n      displayName: Executions\n"
            "    data:\n      type: io.kestra.plugin.core.dashboard.data.ExecutionsKPI\n      columns:\n"
            "        field: ID\n        agg: COUNT\n")


def test_global_dashboards_are_planned_applied_and_deleted_only_by_a_repository_that_has_them(
        tmp_path: Path, local: tuple[SqlStore, LocalTarget]) -> None:
    store, target = local
    repo = write(tmp_path / "repo", {"ns/flows/a.yaml": flow("ns", "a"),
                                     "_global/dashboards/ops.yaml": dashboard("ops", "Ops"),
                                     "_global/dashboards/team.yml": dashboard("team", "Team"),
                                     "_global/notes.yaml": "not: deployed\n"})
    first = plan.make(layout.read([repo]), target, delete=False)
    assert [(c.key, c.action) for c in first.dashboards] == [("ops", "create"), ("team", "create")]
    assert "_global\n  + dashboard ops (created)" in first.render() and "+++ b/_global/dashboards/ops.yaml" in first.render()
    target.apply_dashboards(first.dashboards)
    assert sorted(d.id for d in store.list_dashboards()) == ["ops", "team"]

    (repo / "_global/dashboards/ops.yaml").write_text(dashboard("ops", "Operations"))
    (repo / "_global/dashboards/team.yml").unlink()
    flows_only = write(tmp_path / "flows-only", {"ns/flows/a.yaml": flow("ns", "a")})
    assert plan.make(layout.read([flows_only]), target, delete=True).dashboards == []  # not its to delete
    second = plan.make(layout.read([repo]), target, delete=True)
    assert [(c.key, c.action) for c in second.dashboards] == [("ops", "update"), ("team", "delete")]
    target.apply_dashboards(second.dashboards)
    assert [(d.id, d.title) for d in store.list_dashboards()] == [("ops", "Operations")]


def test_an_invalid_dashboard_stops_everything_with_its_path_and_line(tmp_path: Path) -> None:
    repo = write(tmp_path / "repo", {"_global/dashboards/a.yaml": dashboard("a", "A"),
                                     "_global/dashboards/b.yaml": dashboard("a", "B"),
                                     "_global/dashboards/c.yaml": dashboard("c", "C").replace("charts:", "chart:")})
    with pytest.raises(FlowValidationError) as caught:
        layout.read([repo])
    text = str(caught.value)
    assert "_global/dashboards/c.yaml:3:1: chart" in text, text
    assert "dashboard a is also in" in text


def app(ns: str, app_id: str, flow_id: str, name: str = "Ask") -> str:
    return (f"id: {app_id}\ntype: io.kestra.plugin.ee.apps.Execution\ndisplayName: {name}\nnamespace: {ns}\n"
            f"flowId: {flow_id}\naccess: PUBLIC\n")


def test_apps_of_a_namespace_folder_are_deployed_after_its_flows(tmp_path: Path,
                                                                 local: tuple[SqlStore, LocalTarget]) -> None:
    store, target = local
    repo = write(tmp_path / "repo", {"team/flows/a.yaml": flow("team", "a"), "team/apps/ask.yaml": app("team", "ask", "a")})
    first = plan.make(layout.read([repo]), target, delete=False)
    assert [(c.kind, c.key, c.action) for c in first.namespaces[0].changes] == [
        ("flow", "a", "create"), ("app", "ask", "create")]
    assert "+++ b/team/apps/ask.yaml" in first.render()
    for ns in first.namespaces:
        target.apply(ns)
    assert [(a.id, a.namespace) for a in store.list_apps()] == [("ask", "team")]

    (repo / "team/apps/ask.yaml").write_text(app("team", "ask", "a", "Ask again"))
    write(repo, {"team/apps/other.yaml": app("team", "other", "a")})
    second = plan.make(layout.read([repo]), target, delete=False)
    assert [(c.key, c.action) for c in second.namespaces[0].apps()] == [("ask", "update"), ("other", "create")]
    for ns in second.namespaces:
        target.apply(ns)
    (repo / "team/apps/other.yaml").unlink()
    third = plan.make(layout.read([repo]), target, delete=True)
    assert [(c.key, c.action) for c in third.namespaces[0].apps()] == [("other", "delete")]
    for ns in third.namespaces:
        target.apply(ns)
    assert [(a.id, "Ask again" in a.source) for a in store.list_apps()] == [("ask", True)]


def test_an_app_in_the_wrong_namespace_folder_or_twice_stops_everything(tmp_path: Path) -> None:
    repo = write(tmp_path / "repo", {"team/apps/a.yaml": app("other", "a", "f"),
                                     "more/apps/a.yaml": app("more", "a", "f"),
                                     "more/apps/bad.yaml": app("more", "bad", "f").replace("flowId:", "flow:")})
    with pytest.raises(FlowValidationError) as caught:
        layout.read([repo])
    text = str(caught.value)
    assert "'other' is not the namespace of its folder 'team'" in text
    assert "app a is also in" in text
    assert "more/apps/bad.yaml:5:1" in text, text


def test_an_invalid_app_or_suite_leaves_nothing_of_its_namespace_written(tmp_path: Path,
                                                                         local: tuple[SqlStore, LocalTarget]) -> None:
    store, target = local
    good = NamespaceDeploy("team", flows=[flow("team", "a")], apps=[app("team", "ask", "a")],
                           files={"/run.sh": b"echo new\n"})
    flow_service.deploy_namespace(store, target.storage, good, by=SYSTEM, now=utcnow())
    assert [f.id for f in store.list_flows("team")] == ["a"] and [a.id for a in store.list_apps()] == ["ask"]

    bad_app = app("team", "ask", "a", "Ask v2").replace("flowId:", "flow:")
    for broken in (NamespaceDeploy("team", flows=[flow("team", "a", "v2"), flow("team", "b")],
                                   apps=[app("team", "other", "b"), bad_app], files={"/run.sh": b"echo v2\n"}),
                   NamespaceDeploy("team", flows=[flow("team", "b")], apps=[app("team", "other", "b")],
                                   suites=[SuiteSave("elsewhere", "s", "b", suite("elsewhere", "b"), False)],
                                   app_deletions=["ask"], flow_deletions=["a"])):
        with pytest.raises(FlowValidationError):
            flow_service.deploy_namespace(store, target.storage, broken, by=SYSTEM, now=utcnow())
        assert {f.id: "hi" in f.source for f in store.list_flows("team")} == {"a": True}
        assert [(a.id, "displayName: Ask\n" in a.source) for a in store.list_apps()] == [("ask", True)]
        assert store.list_test_suites() == []
        assert target.files("team") == {"/run.sh": b"echo new\n"}


def test_a_failing_transaction_leaves_the_namespace_files_and_no_staging(tmp_path: Path, pg_url: str) -> None:
    """The namespace's transaction fails after its files were written (another connection holds a lock on the app
    it updates, and the deploy's connection gives up waiting): its flows and apps are as before, and the files it
    staged are removed, with the journal it opened: the namespace's visible files never changed."""
    with psycopg.connect(pg_url, autocommit=True) as admin:  # the deploy's connections give up waiting at 0.5 s
        admin.execute(f"ALTER DATABASE {pg_url.rsplit('/', 1)[1]} SET lock_timeout = '500ms'")
    store = open_store(pg_url)
    storage = LocalStorage(tmp_path / "storage")
    try:
        first = NamespaceDeploy("team", flows=[flow("team", "a")], apps=[app("team", "ask", "a")],
                                files={"/kept.sh": b"old\n"})
        flow_service.deploy_namespace(store, storage, first, by=SYSTEM, now=utcnow())
        with psycopg.connect(pg_url) as locker:
            locker.execute("SELECT 1 FROM apps WHERE id = 'ask' FOR UPDATE")
            change = NamespaceDeploy("team", flows=[flow("team", "a", "v2"), flow("team", "b")],
                                     apps=[app("team", "ask", "a", "Ask v2")],
                                     files={"/kept.sh": b"new\n", "/added.sh": b"added\n"})
            with pytest.raises(OperationalError, match="lock timeout"):
                flow_service.deploy_namespace(store, storage, change, by=SYSTEM, now=utcnow())
        target = LocalTarget(store, storage, by=SYSTEM, clock=utcnow)
        assert target.files("team") == {"/kept.sh": b"old\n"}
        assert storage.list("kestra:///_deploys") == []
        assert store.abandon_deploy_journals() == [] and store.deploy_journals() == []
        assert {f.id: "hi" in f.source for f in store.list_flows("team")} == {"a": True}
        assert [(a.id, "displayName: Ask\n" in a.source) for a in store.list_apps()] == [("ask", True)]
    finally:
        store.close()


def test_a_journal_is_carried_out_idempotently_and_recovery_removes_dead_staging(
        tmp_path: Path, local: tuple[SqlStore, LocalTarget]) -> None:
    """Carrying out a journal twice (a process that died half way through it, then the next start) leaves the
    same files; staging with no committed journal (a deploy that died before its commit) is removed at the start,
    and that deploy, were it still running, could no longer commit."""
    store, target = local
    storage = target.storage
    flow_service.deploy_namespace(store, storage, NamespaceDeploy("team", flows=[flow("team", "a")],
                                  files={"/old.sh": b"old\n", "/kept.sh": b"v1\n"}), by=SYSTEM, now=utcnow())
    journal = deploy_journal.stage(store, storage, "team", {"/kept.sh": b"v2\n", "/new.sh": b"new\n"}, ["/old.sh"],
                                   tenant="main", now=utcnow())
    assert journal is not None
    store.replace_flows([], [], utcnow(), journal=journal)
    assert target.files("team") == {"/old.sh": b"old\n", "/kept.sh": b"v1\n"}  # committed, not carried out
    deploy_journal.carry_out(store, storage, journal)
    deploy_journal.carry_out(store, storage, journal)
    assert target.files("team") == {"/kept.sh": b"v2\n", "/new.sh": b"new\n"}
    dead = deploy_journal.stage(store, storage, "team", {"/kept.sh": b"v3\n"}, [], tenant="main", now=utcnow())
    assert dead is not None and storage.list("kestra:///_deploys") != []
    assert deploy_journal.recover(store, storage) == (0, 1)
    assert storage.list("kestra:///_deploys") == [] and target.files("team")["/kept.sh"] == b"v2\n"
    with pytest.raises(JournalAbandoned):
        store.replace_flows([], [], utcnow(), journal=dead)
