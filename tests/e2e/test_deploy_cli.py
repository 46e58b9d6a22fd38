"""`legato deploy` as a user runs it, in real processes on a real SQLite store: --plan changes nothing, the
apply, --test refusing to deploy over a failing suite, a broken file stopping everything, and a deploy killed
half way leaving every namespace all old or all new, its namespace files included (once a starting server has
carried out or abandoned what the deploy left in its journal)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from tests.e2e.local_server import wait_for
from tests.e2e.sso_support import free_port
from tests.services import pg_database

from legato.storage import LocalStorage, namespace_files
from legato.store import open_store

LEGATO = str(Path(sys.executable).with_name("legato"))


def flow(ns: str, flow_id: str, version: str = "v1") -> str:
    return (f"id: {flow_id}\nnamespace: {ns}\ntasks:\n  - id: say\n    type: io.kestra.plugin.core.debug.Return\n"
            f"    format: {version}\n")


def suite(ns: str, flow_id: str, expected: str) -> str:
    return (f"id: {flow_id}_suite\nnamespace: {ns}\nflowId: {flow_id}\ntestCases:\n  - id: says\n"
            f"    assertions:\n      - value: \"{{{{ outputs.say.value }}}}\"\n        equalTo: {expected}\n")


def legato(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LEGATO, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300)


def _sources(data: Path) -> dict[tuple[str, str], str]:
    store = open_store(f"sqlite:///{data / 'legato.db'}")
    try:
        return {(r.namespace, r.id): r.source for r in store.list_flows()}
    finally:
        store.close()


def _files(storage: Path, namespace: str) -> dict[str, str]:
    """The namespace's files as the API and tasks see them: `/path` → text."""
    store = LocalStorage(storage)
    return {path: store.get(uri).decode() for path, uri in namespace_files.list_files(store, namespace).items()}


def _staged(storage: Path) -> list[Path]:
    """Files staged by deploys (kestra:///_deploys/), not yet put in place or removed."""
    return sorted(p for p in (storage / "_deploys").rglob("*") if p.is_file())


def _start_server(data: Path, database_url: str | None = None) -> None:
    """Start a real `legato server webserver` on `data` (and `database_url`), wait until it serves, stop it: its
    start carries out or abandons what dead deploys left."""
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")}, "LEGATO_DATA_DIR": str(data),
           "LEGATO_PORT": str(port), **({"LEGATO_DATABASE_URL": database_url} if database_url else {})}
    server = subprocess.Popen([LEGATO, "server", "webserver"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for(lambda: _healthy(f"http://127.0.0.1:{port}") or server.poll() is not None, 120, "the webserver")
        assert server.poll() is None, "the webserver stopped"
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_plan_apply_test_gate_and_broken_file(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "team.a" / "flows").mkdir(parents=True)
    (repo / "team.a" / "tests").mkdir()
    (repo / "team.a" / "files").mkdir()
    (repo / "team.a" / "flows" / "hello.yaml").write_text(flow("team.a", "hello"))
    (repo / "team.a" / "tests" / "hello.yaml").write_text(suite("team.a", "hello", "v1"))
    (repo / "team.a" / "files" / "query.sql").write_text("select 1\n")
    data = tmp_path / ".legato"

    planned = legato("deploy", repo, "--plan", "--data-dir", data, cwd=tmp_path)
    assert planned.returncode == 0, planned.stderr
    assert "  + flow hello (created)" in planned.stdout and "+++ b/team.a/flows/hello.yaml" in planned.stdout
    assert "  + file /query.sql (created)" in planned.stdout
    assert "Plan: 3 to create, 0 to update, 0 to delete, 0 unchanged." in planned.stdout
    assert _sources(data) == {}

    applied = legato("deploy", repo, "--test", "--data-dir", data, cwd=tmp_path)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "1 passed" in applied.stdout and "deployed namespace team.a: 3 changes" in applied.stdout
    assert set(_sources(data)) == {("team.a", "hello")}

    (repo / "team.a" / "flows" / "hello.yaml").write_text(flow("team.a", "hello", "v2"))
    gated = legato("deploy", repo, "--test", "--data-dir", data, cwd=tmp_path)
    assert gated.returncode == 1
    assert "expected 'v2' to equal 'v1'" in gated.stdout and "tests failed: nothing deployed" in gated.stderr
    assert "format: v1" in _sources(data)[("team.a", "hello")]

    (repo / "team.a" / "flows" / "broken.yaml").write_text(flow("team.a", "broken").replace("format:", "formt:"))
    broken = legato("deploy", repo, "--data-dir", data, cwd=tmp_path)
    assert broken.returncode == 1
    assert "team.a/flows/broken.yaml:6:5: tasks[0].formt: unknown property" in broken.stderr
    assert "format: v1" in _sources(data)[("team.a", "hello")]


def test_a_deploy_killed_half_way_leaves_each_namespace_all_old_or_all_new(tmp_path: Path) -> None:
    repo, data = tmp_path / "repo", tmp_path / ".legato"
    namespaces = [f"kill.team{k}" for k in range(10)]

    def write(version: str) -> None:
        for ns in namespaces:
            (repo / ns / "flows").mkdir(parents=True, exist_ok=True)
            for n in range(20):
                (repo / ns / "flows" / f"f{n}.yaml").write_text(flow(ns, f"f{n}", version))
            (repo / ns / "files").mkdir(exist_ok=True)
            (repo / ns / "files" / "data.csv").write_text(version)

    write("v1")
    assert legato("deploy", repo, "--data-dir", data, cwd=tmp_path).returncode == 0
    write("v2")
    process = subprocess.Popen([LEGATO, "deploy", str(repo), "--no-diff", "--data-dir", str(data)], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert process.stdout is not None
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:  # kill it as soon as its first namespace is deployed
        line = process.stdout.readline()
        if line.startswith("deployed namespace") or not line:
            break
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    _start_server(data)  # carries out (or abandons) what the killed deploy left
    sources = _sources(data)
    versions = {ns: {sources[(ns, f"f{n}")].rsplit("format: ", 1)[1].strip() for n in range(20)} for ns in namespaces}
    assert all(len(v) == 1 for v in versions.values()), versions  # never a mix inside a namespace
    assert versions[namespaces[0]] == {"v2"}
    files = {ns: _files(data / "storage", ns) for ns in namespaces}
    assert files == {ns: {"/data.csv": next(iter(versions[ns]))} for ns in namespaces}  # files match the flows
    assert _staged(data / "storage") == []


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from pg_database("legato_deploy")


def app(ns: str, app_id: str, flow_id: str, version: str) -> str:
    return (f"id: {app_id}\ntype: io.kestra.plugin.ee.apps.Execution\ndisplayName: Ask {version}\nnamespace: {ns}\n"
            f"flowId: {flow_id}\naccess: PUBLIC\n")


NAMESPACES = ["kill.a", "kill.b", "kill.c"]


def _write(repo: Path, version: str) -> None:
    """Three namespaces of five flows, an app and namespace files each, at `version`: /data.csv changes with it,
    /<version>.txt is new in each."""
    for ns in NAMESPACES:
        for folder in ("flows", "apps", "files"):
            (repo / ns / folder).mkdir(parents=True, exist_ok=True)
        for n in range(5):
            (repo / ns / "flows" / f"f{n}.yaml").write_text(flow(ns, f"f{n}", version))
        (repo / ns / "apps" / "ask.yaml").write_text(app(ns, f"ask-{ns[-1]}", "f0", version))
        (repo / ns / "files" / "data.csv").write_text(version)
        (repo / ns / "files" / f"{version}.txt").write_text(version)


OLD_FILES = {"/data.csv": "v1", "/v1.txt": "v1"}
NEW_FILES = {"/data.csv": "v2", "/v1.txt": "v1", "/v2.txt": "v2"}  # no --delete: /v1.txt stays


def _kill_inside_second_namespace(pg_url: str, command: list[str], cwd: Path, *others: subprocess.Popen[bytes]) -> None:
    """Run `command` (a `legato deploy`) while this test holds a row lock on the app of kill.b, which the deploy
    writes after that namespace's flows in the same transaction; once PostgreSQL shows it waiting there, kill it
    and `others` with -9, release the lock, and wait for the killed transaction's connection to end."""
    with psycopg.connect(pg_url) as locker:
        locker.execute("SELECT 1 FROM apps WHERE id = 'ask-b' FOR UPDATE")
        process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        with psycopg.connect(pg_url, autocommit=True) as watcher:
            def waiting() -> list[int]:
                return [row[0] for row in watcher.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    " AND query ILIKE '%apps%'")]
            wait_for(lambda: waiting() or process.poll() is not None, 120, "the deploy to wait on the app's lock")
            assert process.poll() is None, process.communicate()
            blocked = waiting()
            for killed in (process, *others):
                os.kill(killed.pid, signal.SIGKILL)
                killed.wait(timeout=30)
            locker.rollback()  # the blocked statement goes on, then finds its client gone: no COMMIT ever comes
            wait_for(lambda: not watcher.execute("SELECT 1 FROM pg_stat_activity WHERE pid = ANY(%s)",
                                                 [blocked]).fetchall(), 60, "the killed deploy's connection to end")


def _versions(url: str) -> tuple[dict[str, set[str]], dict[str, str]]:
    """The versions of each namespace's flows, and its app's display name."""
    store = open_store(url)
    try:
        flows = {ns: {r.source.rsplit("format: ", 1)[1].strip() for r in store.list_flows(ns)} for ns in NAMESPACES}
        return flows, {a.namespace: a.display_name for a in store.list_apps()}
    finally:
        store.close()


def test_a_deploy_killed_inside_a_namespace_transaction_leaves_it_all_old(tmp_path: Path, pg_url: str) -> None:
    """`legato deploy` on PostgreSQL is stopped inside the transaction of its second namespace (this test holds a
    row lock on that namespace's app, which the deploy writes after its flows), seen waiting there, and killed
    with -9: the first namespace is all new (flows, app and files), the second and third all old, files
    included; the second's staged files, left by the dead deploy, are removed when a server starts."""
    repo, data = tmp_path / "repo", tmp_path / ".legato"
    args = ["--no-diff", "--data-dir", str(data), "--database-url", pg_url]
    _write(repo, "v1")
    first = legato("deploy", repo, *args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    _write(repo, "v2")
    _kill_inside_second_namespace(pg_url, [LEGATO, "deploy", str(repo), *args], tmp_path)
    storage = data / "storage"
    assert {ns: _files(storage, ns) for ns in NAMESPACES} == {"kill.a": NEW_FILES, "kill.b": OLD_FILES,
                                                               "kill.c": OLD_FILES}
    assert [p.name for p in _staged(storage)] == ["0", "1"]  # kill.b's new files, staged out of sight
    _assert_only_the_first_namespace_new_after_a_start(data, pg_url)


def _assert_only_the_first_namespace_new_after_a_start(data: Path, pg_url: str) -> None:
    """Once a server has started on `data`: kill.a all new, kill.b and kill.c all old (flows, apps, files), and
    nothing left staged."""
    _start_server(data, pg_url)
    assert _versions(pg_url) == ({"kill.a": {"v2"}, "kill.b": {"v1"}, "kill.c": {"v1"}},
                                 {"kill.a": "Ask v2", "kill.b": "Ask v1", "kill.c": "Ask v1"})
    storage = data / "storage"
    assert {ns: _files(storage, ns) for ns in NAMESPACES} == {"kill.a": NEW_FILES, "kill.b": OLD_FILES,
                                                               "kill.c": OLD_FILES}
    assert _staged(storage) == []


def test_a_remote_deploy_killed_inside_a_namespace_transaction_leaves_it_all_old(tmp_path: Path,
                                                                                 pg_url: str) -> None:
    """`legato deploy --server` sends each namespace in one request; the server (a real `legato server
    webserver` on PostgreSQL) applies it in one transaction. Deploy and server are both killed with -9 while the
    second namespace's transaction waits inside: the first namespace is all new, the second and third all old,
    files included, and the server's next start removes what the second had staged."""
    repo, data = tmp_path / "repo", tmp_path / "server"
    data.mkdir()
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")},
           "LEGATO_DATABASE_URL": pg_url, "LEGATO_DATA_DIR": str(data), "LEGATO_PORT": str(port)}
    server = subprocess.Popen([LEGATO, "server", "webserver"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _healthy(base), 60, "the webserver")
        _write(repo, "v1")
        first = legato("deploy", repo, "--no-diff", "--server", base, cwd=tmp_path)
        assert first.returncode == 0, first.stderr
        _write(repo, "v2")
        _kill_inside_second_namespace(pg_url, [LEGATO, "deploy", str(repo), "--no-diff", "--server", base], tmp_path,
                                      server)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=30)
    storage = data / "storage"
    assert [p.name for p in _staged(storage)] == ["0", "1"]
    _assert_only_the_first_namespace_new_after_a_start(data, pg_url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "postgresql":
        yield from pg_database("legato_deploy")
    else:
        yield f"sqlite:///{tmp_path / '.legato' / 'legato.db'}"


@pytest.mark.parametrize("recovery", ["server start", "next deploy"])
def test_files_a_committed_deploy_could_not_put_in_place_are_put_there_later(tmp_path: Path, database_url: str,
                                                                            recovery: str) -> None:
    """The deploy commits kill.b's flows and app, then fails to put its new /v2.txt in place (a folder stands
    where the file goes: a real fault in the storage): it says so and stops, the journal left in the database.
    Once the folder is gone, the next start of a server (or the next deploy of the namespace) carries the journal
    out: kill.b has its new flows and all its new files, and no staging is left."""
    repo, data, url = tmp_path / "repo", tmp_path / ".legato", database_url
    args = ["--no-diff", "--data-dir", str(data), "--database-url", url]
    _write(repo, "v1")
    assert legato("deploy", repo, *args, cwd=tmp_path).returncode == 0
    _write(repo, "v2")
    storage = data / "storage"
    obstacle = storage / "kill" / "b" / "_files" / "v2.txt"
    obstacle.mkdir()  # an empty folder: no namespace file, but no file can be written there
    failed = legato("deploy", repo, *args, cwd=tmp_path)
    assert failed.returncode == 1
    assert "namespace kill.b was deployed, but its files could not be put in place yet" in failed.stderr
    assert _versions(url) == ({"kill.a": {"v2"}, "kill.b": {"v2"}, "kill.c": {"v1"}},
                              {"kill.a": "Ask v2", "kill.b": "Ask v2", "kill.c": "Ask v1"})
    assert "/v2.txt" not in _files(storage, "kill.b") and _staged(storage) != []
    store = open_store(url)
    try:
        assert [j.namespace for j in store.deploy_journals()] == ["kill.b"]
    finally:
        store.close()
    obstacle.rmdir()
    if recovery == "server start":
        _start_server(data, url)
        assert {ns: _files(storage, ns) for ns in NAMESPACES} == {"kill.a": NEW_FILES, "kill.b": NEW_FILES,
                                                                   "kill.c": OLD_FILES}
    else:
        again = legato("deploy", repo, *args, cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        assert {ns: _files(storage, ns) for ns in NAMESPACES} == {ns: NEW_FILES for ns in NAMESPACES}
    assert _staged(storage) == []
    store = open_store(url)
    try:
        assert store.deploy_journals() == []
    finally:
        store.close()


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False
