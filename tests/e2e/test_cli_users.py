"""`legato user ...` and `legato token ...` run as a user runs them: the first user of a fresh data directory
becomes the instance owner; the accounts, passwords and tokens the CLI makes then work against a real server on
the same database."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.integration.api.conftest import LiveServer, _start

from legato.store import open_store

LEGATO = str(Path(sys.executable).with_name("legato"))


def legato(data: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LEGATO, *args, "--data-dir", str(data)], input=stdin, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


def _serve(data: Path) -> Iterator[LiveServer]:
    return _start(open_store(f"sqlite:///{data / 'legato.db'}"), data, "sqlite")


def test_bootstrap_owner_users_and_tokens(data: Path) -> None:
    first = legato(data, "user", "create", "root", "--password-stdin", stdin="root-password\n")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("created instance owner root")
    weak = legato(data, "user", "create", "ada", "--password-stdin", stdin="short\n")
    assert weak.returncode == 1 and "at least 8 characters" in weak.stderr
    second = legato(data, "user", "create", "ada", "--password-stdin", "--role", "viewer", "--namespace", "dev",
                    stdin="ada-password\n")
    assert second.returncode == 0 and "created user ada" in second.stdout and "role viewer on dev" in second.stdout
    taken = legato(data, "user", "create", "ada", "--no-password")
    assert taken.returncode == 1 and "the name 'ada' is taken" in taken.stderr
    robot = legato(data, "user", "create", "robot", "--service-account", "--role", "launcher")
    assert robot.returncode == 0, robot.stderr
    issued = legato(data, "token", "create", "robot", "--max-age", "P1D")
    assert issued.returncode == 0 and "not shown again" in issued.stderr
    token = issued.stdout.strip()
    listed = legato(data, "user", "list")
    assert [line.split()[:3] for line in listed.stdout.splitlines()[1:]] == [
        ["ada", "USER", "active"], ["robot", "SERVICE_ACCOUNT", "active"], ["root", "USER", "yes"]]
    tokens = legato(data, "token", "list", "robot")
    assert token not in tokens.stdout and "active" in tokens.stdout
    token_id = tokens.stdout.splitlines()[1].split()[0]

    for server in _serve(data):
        with httpx.Client(base_url=server.url, timeout=30) as anonymous:
            assert anonymous.get("/api/v1/main/flows/search").status_code == 401
        with server.client(auth=("root", "root-password")) as root:
            assert root.get("/api/v1/me").json()["owner"] is True
        with server.client(headers={"authorization": f"Bearer {token}"}) as bot:
            assert bot.get("/api/v1/me").json()["username"] == "robot"
            assert bot.get("/api/v1/main/users").status_code == 403
            assert legato(data, "token", "revoke", token_id).returncode == 0
            assert bot.get("/api/v1/me").status_code == 401
        with server.client(auth=("ada", "ada-password")) as ada:
            assert ada.get("/api/v1/main/namespaces/dev.team/kv").status_code == 200
            assert legato(data, "user", "passwd", "ada", "--password-stdin", stdin="new-ada-password\n").returncode == 0
        with server.client(auth=("ada", "new-ada-password")) as ada:
            assert ada.get("/api/v1/me").status_code == 200
            assert legato(data, "user", "disable", "ada").returncode == 0
        with server.client(auth=("ada", "new-ada-password")) as ada:
            assert ada.get("/api/v1/me").status_code == 401
            assert legato(data, "user", "enable", "ada").returncode == 0
            assert ada.get("/api/v1/me").status_code == 200
