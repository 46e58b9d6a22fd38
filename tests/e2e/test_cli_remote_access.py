"""`legato user|token|tenant|scim ...` with --server and --token: the same commands through the REST API of a
running `legato server local` whose users sign in (its owner was made on the data dir first, the bootstrap that
stays local), printing what they print on its data dir; the server's refusals end them with its reason."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.e2e.test_cli_remote import LEGATO, _env, local, ok
from tests.local_server import announced_url, wait_healthy

# The module fixture (one running server) is built once: its tests stay on one xdist worker.
pytestmark = pytest.mark.xdist_group("cli_remote_access")


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, str]]:
    """The data dir, URL and owner's API token of a `legato server local` with users (authentication on)."""
    data = tmp_path_factory.mktemp("access") / "data"
    owner = subprocess.run([LEGATO, "user", "create", "root", "--password-stdin", "--data-dir", str(data)],
                           input="root-password\n", capture_output=True, text=True, timeout=60, env=_env(), check=False)
    assert ok(owner).stdout.startswith("created instance owner root")
    token = ok(local(data, "token", "create", "root", "--token-name", "remote-tests")).stdout.strip()
    proc = subprocess.Popen([LEGATO, "server", "local", "--data-dir", str(data), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, text=True,
                            env=_env())
    assert proc.stdout is not None
    url = announced_url(proc.stdout)
    assert url, "the server did not start"
    wait_healthy(url)
    yield data, url, token
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=20)


def remote(running: tuple[Path, str, str], *args: str, stdin: str | None = None,
           token: str | None = None) -> subprocess.CompletedProcess[str]:
    """A command run from a directory with no data dir, through the API only (as the owner by default)."""
    _, url, owner = running
    return subprocess.run([LEGATO, *args, "--server", url, "--token", token or owner], capture_output=True,
                          text=True, timeout=60, check=False, env=_env(), cwd="/", input=stdin)


def same(running: tuple[Path, str, str], *args: str) -> str:
    """The output of a read-only command, which must be the same through the API and on the data dir."""
    through_api, on_disk = ok(remote(running, *args)), ok(local(running[0], *args))
    assert (through_api.stdout, through_api.stderr) == (on_disk.stdout, on_disk.stderr)
    return through_api.stdout


def refused(done: subprocess.CompletedProcess[str], *said: str) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    for text in said:
        assert text in done.stderr


def test_users_through_the_api(running: tuple[Path, str, str]) -> None:
    data = running[0]
    created = ok(remote(running, "user", "create", "ada", "--password-stdin", "--role", "viewer", "--namespace",
                        "dev", stdin="ada-password\n")).stdout
    assert re.fullmatch(r"created user ada \(\w+\), role viewer on dev\n", created)
    assert ok(remote(running, "user", "create", "robot", "--service-account", "--role", "launcher")).stdout \
        .startswith("created service account robot (")
    refused(remote(running, "user", "create", "ada", "--no-password"), "POST /users: HTTP 409")
    refused(remote(running, "user", "create", "bob", "--password-stdin", stdin="short\n"),
            "the password must have at least")

    listed = same(running, "user", "list").splitlines()
    assert [line.split()[:2] for line in listed] == [["NAME", "TYPE"], ["ada", "USER"], ["robot", "SERVICE_ACCOUNT"],
                                                     ["root", "USER"]]
    assert ok(remote(running, "user", "disable", "ada")).stdout == "disabled ada\n"
    assert "disabled" in local(data, "user", "list").stdout.splitlines()[1]
    assert ok(remote(running, "user", "enable", "ada")).stdout == "enabled ada\n"
    assert same(running, "user", "list").splitlines()[1].split()[2] == "active"
    assert ok(remote(running, "user", "passwd", "ada", "--password-stdin", stdin="ada-new-password\n")).stdout == \
        "password of ada changed\n"
    refused(remote(running, "user", "disable", "nobody"), "no user or service account named 'nobody'")

    # ada (a viewer on `dev`) may not manage accounts: the server's reason, exit 1
    refused(remote(running, "user", "list", token="ada:ada-new-password"), "GET /users: HTTP 403")
    refused(remote(running, "user", "list", token="ada:ada-password"), "HTTP 401")


def test_tokens_through_the_api(running: tuple[Path, str, str]) -> None:
    ok(remote(running, "user", "create", "bot", "--service-account"))
    issued = ok(remote(running, "token", "create", "bot", "--token-name", "ci", "--max-age", "P1D"))
    token_id = re.fullmatch(r"token (\w+) of bot: store it now, it is not shown again\n", issued.stderr)
    assert token_id, issued.stderr
    listed = same(running, "token", "list", "bot").splitlines()
    assert listed[1].split()[:2] == [token_id[1], "ci"] and listed[1].endswith("active")
    # the token works: bot has no role, so its call is refused for lack of permission, not of identity
    refused(remote(running, "tenant", "list", token=issued.stdout.strip()), "HTTP 403")

    assert ok(remote(running, "token", "revoke", token_id[1])).stdout == f"revoked token {token_id[1]}\n"
    assert same(running, "token", "list", "bot").splitlines()[1].endswith("revoked")
    refused(remote(running, "tenant", "list", token=issued.stdout.strip()), "HTTP 401")
    refused(remote(running, "token", "revoke", "0" * 32), f"token '{'0' * 32}' not found")
    refused(remote(running, "token", "create", "bot", "--max-age", "soon"), "HTTP 400", "maxAge")


def test_tenants_through_the_instance_api(running: tuple[Path, str, str]) -> None:
    made = ok(remote(running, "tenant", "create", "team-a", "--name", "Team A"))
    assert made.stderr == "tenant team-a created; its API is under /api/v1/team-a/\n"
    ok(remote(running, "tenant", "create", "b-team"))
    assert same(running, "tenant", "list") == "main\tMain\nb-team\tb-team\nteam-a\tTeam A\n"
    refused(remote(running, "tenant", "create", "team-a"), "POST /tenants: HTTP 409")
    refused(remote(running, "tenant", "create", "Bad Id"), "HTTP 4")
    assert ok(remote(running, "tenant", "rename", "team-a", "Team Alpha")).stderr == "tenant team-a renamed\n"
    assert "team-a\tTeam Alpha" in local(running[0], "tenant", "list").stdout.splitlines()
    assert ok(remote(running, "tenant", "delete", "b-team")).stderr == "tenant b-team deleted\n"
    refused(remote(running, "tenant", "delete", "main"), "DELETE /tenants/main: HTTP 409")
    refused(remote(running, "tenant", "rename", "nowhere", "X"), "HTTP 404")
    assert [line.split("\t")[0] for line in same(running, "tenant", "list").splitlines()] == ["main", "team-a"]


def test_scim_integrations_through_the_api(running: tuple[Path, str, str]) -> None:
    _, url, _ = running
    made = ok(remote(running, "scim", "create", "--description", "okta")).stdout.splitlines()
    integration = made[0].removeprefix("integration: ")
    assert made[1] == f"endpoint:    {url}/api/v1/main/integrations/{integration}/scim/v2"
    assert made[2].startswith("token:       ")

    def listed(*args: str) -> str:
        through_api = ok(remote(running, "scim", "list")).stdout
        assert through_api == ok(local(running[0], "scim", "list", "--server-url", url)).stdout
        return through_api

    assert f"{integration}  enabled   {url}/api/v1/main/integrations/{integration}/scim/v2  okta" in listed()
    assert ok(remote(running, "scim", "disable", integration)).stdout == f"disabled {integration}\n"
    assert f"{integration}  disabled" in listed()
    assert ok(remote(running, "scim", "enable", integration)).stdout == f"enabled {integration}\n"
    assert ok(remote(running, "scim", "delete", integration)).stdout == f"deleted {integration}\n"
    assert integration not in listed()
    refused(remote(running, "scim", "delete", integration), "HTTP 404")


def test_an_unreachable_server_is_named() -> None:
    done = subprocess.run([LEGATO, "tenant", "list", "--server", "http://127.0.0.1:9", "--token", "x"],
                          capture_output=True, text=True, timeout=60, check=False, env=_env(), cwd="/")
    refused(done, "GET http://127.0.0.1:9/api/v1/tenants/search")
