"""io.kestra.plugin.git.Clone against a real Git server over HTTP with basic auth."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from tests.dns_double import fake_dns
from tests.git_server import GitServer
from tests.integration.git.conftest import Tasks

from legato.plugins.context import TaskFailed


def clone(server: GitServer, extra: str = "") -> str:
    return f"""
id: clone
type: io.kestra.plugin.git.Clone
url: {server.url("repo")}
username: alice
password: s3cret-token
{extra}"""


def test_clone_into_the_working_directory_shallow_by_default(
    server: GitServer, tasks: Tasks, tmp_path: Path
) -> None:
    server.create("repo", {"etl.py": "print('etl')\n", "sql/q.sql": "select 1\n"})
    server.commit("repo", {"etl.py": "print('etl v2')\n"}, "second")
    work = tmp_path / "wd"
    work.mkdir()
    outputs, _ = tasks.run(clone(server), working_dir=work)
    assert outputs == {"directory": str(work)}
    assert (work / "etl.py").read_text() == "print('etl v2')\n" and (work / "sql/q.sql").exists()
    assert (work / ".git/shallow").exists()  # depth 1


def test_branch_tag_and_commit(server: GitServer, tasks: Tasks, tmp_path: Path) -> None:
    server.create("repo", {"v.txt": "one"})
    first = server.commit("repo", {"v.txt": "two"}, "two")
    server.commit("repo", {"v.txt": "three"}, "three")
    server.commit("repo", {"v.txt": "dev"}, "on dev", branch="dev")
    work = tmp_path / "wd"
    work.mkdir()
    tasks.run(clone(server, "branch: dev\ndirectory: d"), working_dir=work)
    assert (work / "d/v.txt").read_text() == "dev"
    tasks.run(clone(server, f"commit: {first[:10]}\ndirectory: c"), working_dir=work)
    assert (work / "c/v.txt").read_text() == "two"
    server.tag("repo", "v1", first)
    tasks.run(clone(server, "tag: v1\ndirectory: t\nnoTags: true"), working_dir=work)
    assert (work / "t/v.txt").read_text() == "two"


def test_a_directory_with_files_gets_the_repository_fetched_into_it(
    server: GitServer, tasks: Tasks, tmp_path: Path
) -> None:
    server.create("repo", {"main.py": "print(1)\n"})
    work = tmp_path / "wd"
    work.mkdir()
    (work / "input.csv").write_text("a,b\n")
    _, ctx = tasks.run(clone(server), working_dir=work)
    assert (work / "main.py").exists() and (work / "input.csv").exists()
    assert any("not empty" in m for m in tasks.messages(ctx))


def test_wrong_credentials_fail_without_showing_the_password(server: GitServer, tasks: Tasks) -> None:
    server.create("repo", {"a": "a"})
    with pytest.raises(TaskFailed, match="git clone failed") as failure:
        tasks.run(clone(server).replace("s3cret-token", "wrong-pass"))
    assert "wrong-pass" not in str(failure.value)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc", "file:// transport is not allowed"),
        ("/var/lib/legato", "local paths are not allowed"),
        ("ext::sh -c touch% /tmp/pwned", "not a Git remote|not allowed"),
    ],
)
def test_local_and_command_transports_are_refused(tasks: Tasks, url: str, reason: str) -> None:
    with pytest.raises(TaskFailed, match=reason):
        tasks.run(f"id: clone\ntype: io.kestra.plugin.git.Clone\nurl: '{url}'\n")


def test_the_loopback_is_refused_unless_the_operator_allows_it(
    tasks: Tasks, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEGATO_HTTP_ALLOWED_NETWORKS", raising=False)
    with pytest.raises(TaskFailed, match="internal address"):
        tasks.run("id: clone\ntype: io.kestra.plugin.git.Clone\nurl: http://127.0.0.1:9/repo.git\n")


def test_directory_may_not_leave_the_working_directory(
    server: GitServer, tasks: Tasks, tmp_path: Path
) -> None:
    server.create("repo", {"a": "a"})
    work = tmp_path / "wd"
    work.mkdir()
    with pytest.raises(TaskFailed, match="leaves the working directory"):
        tasks.run(clone(server, "directory: ../outside"), working_dir=work)


def test_git_over_http_connects_to_the_address_the_guard_checked(
    server: GitServer, tasks: Tasks, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guard's lookup (here a stand-in DNS) is the only one: `git.invalid` resolves nowhere else, so git
    reaches the server only by the checked address handed to it; a name resolving to an internal address the
    operator did not allow (the fixture allows 127.0.0.1 only) is refused, and so is a flow's own resolve entry."""
    server.create("repo", {"etl.py": "print('etl')\n"})
    fake_dns(monkeypatch, {"git.invalid": ["127.0.0.1"], "inside.test": ["127.0.0.2"]})
    work = tmp_path / "wd"
    work.mkdir()
    tasks.run(clone(server).replace("127.0.0.1", "git.invalid", 1), working_dir=work)
    assert (work / "etl.py").read_text() == "print('etl')\n"
    with pytest.raises(TaskFailed, match=r"refusing to connect to inside\.test \(127\.0\.0\.2\)"):
        tasks.run(clone(server).replace("127.0.0.1", "inside.test"), working_dir=tmp_path)
    own_entry = clone(server, f"gitConfig:\n  http.curloptResolve: git.invalid:{server.port}:127.0.0.2\n")
    with pytest.raises(TaskFailed, match=r"gitConfig': http\.curloptResolve may not be set"):
        tasks.run(own_entry.replace("127.0.0.1", "git.invalid", 1), working_dir=tmp_path)


@pytest.mark.parametrize("key", ["core.fsmonitor", "core.hooksPath", "filter.x.smudge", "credential.helper",
                                 "http.proxy", "url.http://127.0.0.2/.insteadOf", "core.sshCommand"])
def test_git_config_that_would_run_a_program_or_go_elsewhere_is_refused(
    server: GitServer, tasks: Tasks, tmp_path: Path, key: str
) -> None:
    """git runs what core.fsmonitor names on `git status`/`checkout` (and filters, helpers, hooks likewise), on the
    worker outside any sandbox: such keys fail the task before git runs, and the program never runs."""
    server.create("repo", {"a": "a"})
    marker = tmp_path / "ran"
    with pytest.raises(TaskFailed, match=rf"gitConfig': {key} may not be set by a flow"):
        tasks.run(clone(server, f"gitConfig:\n  {key}: touch {marker}\n"), working_dir=tmp_path)
    assert not marker.exists()
    work = tmp_path / "ok"
    work.mkdir()
    tasks.run(clone(server, "gitConfig:\n  core.autocrlf: input\n  user.name: Ann\n  advice.detachedHead: false\n"),
              working_dir=work)
    assert (work / "a").read_text() == "a"


def test_a_redirect_is_not_followed(server: GitServer, tasks: Tasks, tmp_path: Path) -> None:
    """git would follow the first answer's redirect to any host, past the checked address: the task fails instead,
    saying why, and the target is never asked."""
    server.create("repo", {"a": "a"})
    target = server.url("repo")
    asked: list[str] = []

    class Moved(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            pass

        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(301)
            self.send_header("Location", target + self.path.removeprefix("/old"))
            self.send_header("Content-Length", "0")
            self.end_headers()

    moved = ThreadingHTTPServer(("127.0.0.1", 0), Moved)
    threading.Thread(target=moved.serve_forever, daemon=True).start()
    try:
        before = server.requests
        url = f"http://127.0.0.1:{moved.server_address[1]}/old"
        with pytest.raises(TaskFailed, match="redirects are not followed"):
            tasks.run(clone(server).replace(target, url), working_dir=tmp_path)
    finally:
        moved.shutdown()
    assert asked and server.requests == before
