"""Sign-in and access management over a real server (uvicorn on 127.0.0.1, SQLite): open mode until the first
user, sessions with CSRF, Basic for users (Kestra clients), lockout, API token lifecycle, and roles reaching
users through groups. Each test starts its own server, since creating users changes how every route answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from tests.builders import log_flow
from tests.integration.api.conftest import LiveServer, _start

from legato.clock import utcnow
from legato.services import identity
from legato.services.principal import SYSTEM
from legato.store import open_store

PASSWORD = "identity-password"
FLOW = log_flow(namespace="{ns}", task_id="t")
YAML = {"content-type": "application/x-yaml"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    yield from _start(open_store(f"sqlite:///{tmp_path / 'legato.db'}"), tmp_path, "sqlite")


def _owner(server: LiveServer, name: str = "root") -> str:
    return identity.create_account(server.store, "USER", name, password=PASSWORD, owner=True, by=SYSTEM,
                                   now=utcnow()).id


def test_open_until_the_first_user_then_credentials_are_required(server: LiveServer) -> None:
    with server.client() as anonymous:
        me = anonymous.get("/api/v1/me").json()
        assert me["kind"] == "ANONYMOUS" and me["owner"] is True
        assert anonymous.post("/api/v1/main/flows", content=FLOW.format(ns="open"), headers=YAML).status_code == 200
        _owner(server)  # through the services of the server's own process: effective at once
        reply = anonymous.get("/api/v1/main/flows/open/f")
        assert reply.status_code == 401 and reply.json()["message"] == "authentication required"
        assert anonymous.get("/health").status_code == 200
    with server.client(auth=("root", PASSWORD)) as kestra_client:  # Basic with a user's password
        assert kestra_client.get("/api/v1/main/flows/open/f").status_code == 200
        assert kestra_client.get("/api/v1/me").json()["username"] == "root"


def test_session_cookie_and_csrf(server: LiveServer) -> None:
    _owner(server)
    with server.client() as browser:
        assert browser.post("/api/v1/login", json={"username": "root", "password": "wrong-password"}).status_code == 401
        signed = browser.post("/api/v1/login", json={"username": "root", "password": PASSWORD})
        assert signed.status_code == 200, signed.text
        cookie = signed.headers.get_list("set-cookie")
        session_cookie = next(c for c in cookie if c.startswith("legato_session="))
        assert "HttpOnly" in session_cookie and "SameSite=lax" in session_cookie
        csrf = signed.json()["csrfToken"]
        assert browser.cookies["legato_csrf"] == csrf
        assert browser.get("/api/v1/main/flows/search").status_code == 200  # safe: no header needed
        refused = browser.post("/api/v1/main/flows", content=FLOW.format(ns="web"), headers=YAML)
        assert refused.status_code == 403 and "x-csrf-token" in refused.json()["message"]
        wrong = browser.post("/api/v1/main/flows", content=FLOW.format(ns="web"), headers={**YAML, "x-csrf-token": "x"})
        assert wrong.status_code == 403
        created = browser.post("/api/v1/main/flows", content=FLOW.format(ns="web"), headers={**YAML, "x-csrf-token": csrf})
        assert created.status_code == 200, created.text
        stolen = browser.cookies["legato_session"]
        assert browser.post("/api/v1/logout").status_code == 204
    with httpx.Client(base_url=server.url, cookies={"legato_session": stolen}) as replay:
        assert replay.get("/api/v1/main/flows/search").status_code == 401  # the session ended with sign-out


def test_ten_failures_lock_the_account_for_everyone(server: LiveServer) -> None:
    _owner(server)
    identity.create_account(server.store, "USER", "ada", password=PASSWORD, by=SYSTEM, now=utcnow())
    with server.client() as browser:
        for _ in range(10):
            assert browser.post("/api/v1/login", json={"username": "ada", "password": "guess-guess"}).status_code == 401
        locked = browser.post("/api/v1/login", json={"username": "ada", "password": PASSWORD})
        assert locked.status_code == 401 and locked.json()["message"] == "invalid credentials"
    with server.client(auth=("ada", PASSWORD)) as basic:
        assert basic.get("/api/v1/me").status_code == 401  # Basic goes through the same lockout
    account = server.store.account_by_name("ada")
    assert account is not None and account.locked_until is not None
    assert timedelta(minutes=29) < account.locked_until - utcnow() <= timedelta(minutes=30)
    identity.unlock(server.store, account.id, by=SYSTEM)
    with server.client() as browser:
        assert browser.post("/api/v1/login", json={"username": "ada", "password": PASSWORD}).status_code == 200


def test_api_token_lifecycle(server: LiveServer) -> None:
    _owner(server)
    with server.client(auth=("root", PASSWORD)) as root:
        issued = root.post("/api/v1/me/api-tokens", json={"name": "ci", "maxAge": "P30D"})
        assert issued.status_code == 200, issued.text
        token, token_id = issued.json()["fullToken"], issued.json()["tokenId"]
        listed = root.get("/api/v1/me/api-tokens").json()
        assert [t["tokenId"] for t in listed] == [token_id] and "fullToken" not in listed[0]
        assert token not in str(listed) and listed[0]["lastUsed"] is None
    with server.client(headers={"authorization": f"Bearer {token}"}) as ci:
        assert ci.get("/api/v1/main/flows/search").status_code == 200
        assert ci.post("/api/v1/main/flows", content=FLOW.format(ns="ci"), headers=YAML).status_code == 200  # no CSRF
    with server.client(auth=("root", PASSWORD)) as root:
        used = root.get("/api/v1/me/api-tokens").json()[0]
        assert used["lastUsed"] is not None and used["revoked"] is False
        assert root.delete(f"/api/v1/me/api-tokens/{token_id}").status_code == 204
        assert root.delete(f"/api/v1/me/api-tokens/{token_id}").status_code == 409
    with server.client(headers={"authorization": f"Bearer {token}"}) as ci:
        reply = ci.get("/api/v1/main/flows/search")
        assert reply.status_code == 401 and "revoked" in reply.json()["message"]
    with server.client(headers={"authorization": f"Bearer {token[:-2]}xx"}) as forged:
        assert forged.get("/api/v1/main/flows/search").status_code == 401
    stored = server.store.get_token(token_id)
    assert stored is not None and token.split("_", 2)[2] not in stored.secret_hash


def test_roles_reach_members_of_a_group_and_service_accounts(server: LiveServer) -> None:
    _owner(server)
    with server.client(auth=("root", PASSWORD)) as root:
        user = root.post("/api/v1/main/users", json={"username": "bea", "password": PASSWORD}).json()
        group = root.post("/api/v1/main/groups", json={"name": "launchers"}).json()
        assert root.put(f"/api/v1/main/groups/{group['id']}/members/{user['id']}").status_code == 204
        bound = root.post("/api/v1/main/bindings", json={"roleId": "launcher", "type": "GROUP",
                                                          "externalId": group["id"], "namespace": "ops"})
        assert bound.status_code == 200, bound.text
        role = root.post("/api/v1/main/roles", json={"name": "flow-reader", "permissions": ["FLOW:VIEW", "FLOW:LIST"]})
        assert role.status_code == 200 and role.json()["permissions"] == ["FLOW:LIST", "FLOW:VIEW"]
        bad = root.post("/api/v1/main/roles", json={"name": "typo", "permissions": ["FLOWS:VIEW"]})
        assert bad.status_code == 400 and "unknown resource 'FLOWS'" in bad.json()["message"]
        robot = root.post("/api/v1/main/service-accounts", json={"name": "robot"}).json()
        root.post("/api/v1/main/bindings", json={"roleId": role.json()["id"], "type": "SERVICE_ACCOUNT",
                                                 "externalId": robot["id"]})
        robot_token = root.post(f"/api/v1/main/service-accounts/{robot['id']}/api-tokens", json={"name": "r"}).json()
        assert root.post("/api/v1/main/flows", content=FLOW.format(ns="ops.daily"), headers=YAML).status_code == 200
        names = [r["name"] for r in root.get("/api/v1/main/roles").json()]
        assert names[:5] == ["Admin", "Developer", "Editor", "Launcher", "Viewer"] and "flow-reader" in names
    with server.client(auth=("bea", PASSWORD)) as bea:
        me = bea.get("/api/v1/me").json()
        assert {"permission": "EXECUTION:CREATE", "namespaces": ["ops"]} in me["permissions"]
        assert bea.post("/api/v1/main/executions/ops.daily/f").status_code == 200
        update = bea.put("/api/v1/main/flows/ops.daily/f", content=FLOW.format(ns="ops.daily"), headers=YAML)
        assert update.status_code == 403 and update.json()["message"] == "missing permission FLOW:UPDATE on namespace 'ops.daily'"
    with server.client(headers={"authorization": f"Bearer {robot_token['fullToken']}"}) as robot_client:
        assert robot_client.get("/api/v1/main/flows/ops.daily/f").status_code == 200
        assert robot_client.post("/api/v1/main/executions/ops.daily/f").status_code == 403
    with server.client(auth=("root", PASSWORD)) as root:
        assert root.put(f"/api/v1/main/users/{user['id']}", json={"disabled": True}).status_code == 200
    with server.client(auth=("bea", PASSWORD)) as bea:
        assert bea.get("/api/v1/me").status_code == 401


def test_configured_basic_auth_is_the_instance_owner(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'legato.db'}")
    for live in _start(store, tmp_path, "sqlite", basic_auth=("admin", "s3cret-owner")):
        with live.client(auth=("admin", "s3cret-owner")) as admin:
            me = admin.get("/api/v1/me").json()
            assert me["owner"] is True and me["username"] == "admin"
            created = admin.post("/api/v1/main/users", json={"username": "cy", "password": PASSWORD})
            assert created.status_code == 200, created.text
        with live.client(auth=("cy", PASSWORD)) as cy:  # no binding: signed in, no permission
            reply = cy.get("/api/v1/main/flows/search")
            assert reply.status_code == 403 and reply.json()["message"] == "missing permission FLOW:LIST"
        with live.client(auth=("admin", "wrong")) as wrong:
            assert wrong.get("/api/v1/me").status_code == 401


def test_an_admin_cannot_disable_or_delete_the_instance_owner(server: LiveServer) -> None:
    owner_id = _owner(server)
    with server.client(auth=("root", PASSWORD)) as root:
        admin = root.post("/api/v1/main/users", json={"username": "adm", "password": PASSWORD}).json()
        root.post("/api/v1/main/bindings", json={"roleId": "admin", "type": "USER", "externalId": admin["id"]})
        promoted = root.post("/api/v1/main/users", json={"username": "o2", "password": PASSWORD, "owner": True})
        assert promoted.status_code == 200 and promoted.json()["owner"] is True  # an owner may make another
    with server.client(auth=("adm", PASSWORD)) as adm:
        assert adm.get("/api/v1/main/users").status_code == 200
        assert adm.put(f"/api/v1/main/users/{owner_id}", json={"disabled": True}).status_code == 403
        assert adm.delete(f"/api/v1/main/users/{owner_id}").status_code == 403
        assert adm.post("/api/v1/main/users", json={"username": "o3", "password": PASSWORD, "owner": True}).status_code == 403
        assert adm.post("/api/v1/main/users", json={"username": "plain", "password": PASSWORD}).status_code == 200


BAD_CREDENTIALS = [
    {"authorization": "Bearer"}, {"authorization": "Bearer lgt_"},
    {"authorization": "Bearer lgt_0123456789abcdef_"}, {"authorization": "Bearer lgt_0123456789abcdef_x"},
    {"authorization": "Bearer lgt_../../etc_passwd"}, {"authorization": "Bearer " + "a" * 10_000},
    {"authorization": "Basic"}, {"authorization": "Basic !!!"}, {"authorization": "Basic cm9vdA=="},
    {"authorization": "Basic OnBhc3N3b3Jk"}, {"authorization": "Basic //79/Q=="}, {"authorization": "Digest x"},
    {"authorization": "bearer  lgt_x"}, {"cookie": "legato_session="}, {"cookie": "legato_session=forged"},
    {"cookie": "legato_session=\"a;b\"; legato_csrf=x"}, {"cookie": "=;;=;legato_session"},
    {"authorization": "", "cookie": "legato_session=" + "z" * 4000},
]


def test_malformed_credentials_are_401_never_a_handler(server: LiveServer) -> None:
    _owner(server)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for headers in BAD_CREDENTIALS:
            for method, path in (("GET", "/api/v1/main/flows/search"), ("POST", "/api/v1/main/flows"),
                                 ("GET", "/api/v1/me"), ("HEAD", "/api/v1/main/flows/search")):
                reply = client.request(method, path, headers=headers, content=b"{}" if method == "POST" else None)
                assert reply.status_code == 401, (headers, method, path, reply.status_code, reply.text)


def test_the_ui_loads_without_credentials_and_page_requests_get_no_basic_prompt(server: LiveServer) -> None:
    """The sign-in page must load before anyone has signed in; a 401 to a script of the page (the UI's fetch,
    marked by X-Requested-With, Sec-Fetch-Dest or its own cookies) carries no `WWW-Authenticate: Basic`, so the
    browser never shows its own prompt; API clients still get it."""
    _owner(server)
    with httpx.Client(base_url=server.url, timeout=30) as browser:
        assert browser.get("/").headers["location"] == "/ui/"
        for path in ("/ui/login", "/ui/flows", "/ui/"):
            page = browser.get(path)
            assert page.status_code in {200, 503}, (path, page.status_code)  # 503: `make ui` not run
            if page.status_code == 200:
                assert '<div id="root">' in page.text  # the app's shell: its data comes from the API
        curl = browser.get("/api/v1/me")
        assert curl.status_code == 401 and curl.headers["www-authenticate"] == 'Basic realm="legato"'
        wrong = browser.get("/api/v1/me", auth=("root", "wrong-password"))
        assert wrong.status_code == 401 and "www-authenticate" in wrong.headers
        for headers in ({"x-requested-with": "XMLHttpRequest"}, {"sec-fetch-dest": "empty", "sec-fetch-mode": "cors"},
                        {"cookie": "legato_session=ended"}, {"cookie": "legato_csrf=left-over"}):
            reply = browser.get("/api/v1/main/flows/search", headers=headers)
            assert reply.status_code == 401, headers
            assert "www-authenticate" not in reply.headers, headers
        typed = browser.get("/api/v1/main/flows/search", headers={"sec-fetch-dest": "document"})
        assert typed.status_code == 401 and "www-authenticate" in typed.headers


def test_the_configured_basic_pair_signs_in_on_the_sign_in_page(tmp_path: Path) -> None:
    """A browser gets no Basic prompt from the UI, so the configured pair (LEGATO_BASIC_AUTH) signs in through
    POST /api/v1/login like a user: a session of the owner account of that name, made at the first sign-in."""
    store = open_store(f"sqlite:///{tmp_path / 'legato.db'}")
    for live in _start(store, tmp_path, "sqlite", basic_auth=("admin", "s3cret-owner")):
        with live.client() as browser:
            assert browser.post("/api/v1/login", json={"username": "admin", "password": "wrong"}).status_code == 401
            for _ in range(2):  # the second sign-in finds the account made by the first
                signed = browser.post("/api/v1/login", json={"username": "admin", "password": "s3cret-owner"})
                assert signed.status_code == 200, signed.text
                me = browser.get("/api/v1/me").json()
                assert me["username"] == "admin" and me["owner"] is True and me["id"]
            made = browser.post("/api/v1/main/flows", content=FLOW.format(ns="web"),
                                headers={**YAML, "x-csrf-token": signed.json()["csrfToken"]})
            assert made.status_code == 200, made.text
        with live.client(auth=("admin", "s3cret-owner")) as curl:
            users = curl.get("/api/v1/main/users").json()
            assert [(u["username"], u["owner"]) for u in users] == [("admin", True)]
