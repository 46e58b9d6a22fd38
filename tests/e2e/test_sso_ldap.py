"""LDAP sign-in end to end: a real OpenLDAP server (tests/ldap_server.py) and `legato server webserver` as a
real process. A name without a Legato password is checked by the directory; the user is created at its first
sign-in and put in the Legato groups named like its directory groups; failures count towards the lockout."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.e2e.sso_support import OWNER, free_port, groups_of, prepare, webserver
from tests.ldap_server import ADMIN, GROUPS, PEOPLE, ldap_server


@pytest.fixture
def directory(tmp_path: Path) -> Iterator[str]:
    with ldap_server(tmp_path / "slapd") as url:
        yield url


def _settings(url: str, **extra: str) -> dict[str, str]:
    return {"LEGATO_AUTH__LDAP__URL": url, "LEGATO_AUTH__LDAP__USER_BASE": PEOPLE,
            "LEGATO_AUTH__LDAP__BIND_DN": ADMIN[0], "LEGATO_AUTH__LDAP__BIND_PASSWORD": ADMIN[1],
            "LEGATO_AUTH__LDAP__GROUP_BASE": GROUPS, "LEGATO_AUTH__LOCKOUT_FAILURES": "3", **extra}


def _login(client: httpx.Client, name: str, password: str) -> httpx.Response:
    return client.post("/api/v1/login", json={"username": name, "password": password})


def test_directory_users_sign_in_with_their_groups(tmp_path: Path, directory: str) -> None:
    url = prepare(tmp_path / "data")
    with webserver(tmp_path / "data", url, free_port(), _settings(directory)) as base:
        with httpx.Client(base_url=base, timeout=30) as browser:
            assert browser.get("/api/v1/auth/providers").json() == {"password": True, "ldap": True, "oidc": None}
            signed = _login(browser, "carol", "carol-password")
            assert signed.status_code == 200, signed.text
            assert signed.json()["username"] == "carol"
            me = browser.get("/api/v1/me").json()
            assert me["username"] == "carol" and {"permission": "FLOW:VIEW", "namespaces": ["team"]} in me["permissions"]
            assert groups_of(url, "carol") == ["data-team"]  # `ldap-only` has no Legato group
            assert browser.get("/api/v1/main/flows/search").status_code == 200

        with httpx.Client(base_url=base, timeout=30) as other:
            assert _login(other, "dave", "dave-password").status_code == 200
            assert groups_of(url, "dave") == []
            assert _login(other, "nobody", "whatever").status_code == 401
            # The instance owner has a Legato password: checked locally, never by the directory.
            assert _login(other, *OWNER).status_code == 200
            assert _login(other, "root", "carol-password").status_code == 401


def test_server_local_reads_the_sign_in_settings(tmp_path: Path, directory: str) -> None:
    url = prepare(tmp_path / "data")
    with webserver(tmp_path / "data", url, free_port(), _settings(directory), local=True) as base, \
            httpx.Client(base_url=base, timeout=30) as client:
        assert client.get("/api/v1/auth/providers").json()["ldap"] is True
        assert _login(client, "carol", "carol-password").status_code == 200
        assert groups_of(url, "carol") == ["data-team"]


def test_wrong_directory_passwords_lock_the_account(tmp_path: Path, directory: str) -> None:
    url = prepare(tmp_path / "data")
    with webserver(tmp_path / "data", url, free_port(), _settings(directory)) as base, \
            httpx.Client(base_url=base, timeout=30) as client:
        assert _login(client, "carol", "carol-password").status_code == 200
        for _ in range(3):
            wrong = _login(client, "carol", "not-her-password")
            assert wrong.status_code == 401 and wrong.json()["message"] == "invalid credentials"
        locked = _login(client, "carol", "carol-password")
        assert locked.status_code == 401, "three failures lock the account (LEGATO_AUTH__LOCKOUT_FAILURES=3)"
        # An empty password would be an anonymous bind, which a directory accepts: it is refused first.
        assert _login(client, "dave", "").status_code in (401, 422)


def test_an_unreachable_directory_is_a_clear_503(tmp_path: Path) -> None:
    url = prepare(tmp_path / "data")
    closed = f"ldap://127.0.0.1:{free_port()}"
    with webserver(tmp_path / "data", url, free_port(), _settings(closed)) as base, \
            httpx.Client(base_url=base, timeout=30) as client:
        answer = _login(client, "carol", "carol-password")
        assert answer.status_code == 503 and f"the LDAP directory at {closed} could not be asked" in answer.json()["message"]
        assert _login(client, *OWNER).status_code == 200  # local users still sign in
