"""OpenID Connect single sign-on end to end: a real provider (the `oidc-provider` package, started by
tests/oidc_provider.mjs with its sign-in and consent pages) and `legato server webserver` as a real process.
A browser's round trip is played with an HTTP client that keeps cookies: Legato → provider (PKCE) → sign-in →
consent → Legato's callback → a session whose user was created and put in the groups the provider named."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from tests.e2e.sso_support import free_port, groups_of, prepare, webserver

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def provider() -> Iterator[tuple[str, int]]:
    """The provider's issuer URL, and the port its client's redirect URI names for Legato."""
    port, legato_port = free_port(), free_port()
    process = subprocess.Popen(
        ["node", str(ROOT / "tests/oidc_provider.mjs"), str(port),
         f"http://127.0.0.1:{legato_port}/api/v1/auth/oidc/callback"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready", "the provider did not start"
        yield f"http://127.0.0.1:{port}", legato_port
    finally:
        process.terminate()
        process.wait(timeout=10)


def _settings(issuer: str, **extra: str) -> dict[str, str]:
    return {"LEGATO_AUTH__OIDC__ISSUER": issuer, "LEGATO_AUTH__OIDC__CLIENT_ID": "legato",
            "LEGATO_AUTH__OIDC__CLIENT_SECRET": "legato-test-secret",
            "LEGATO_AUTH__OIDC__SCOPES": json.dumps(["openid", "profile", "email", "groups"]),
            "LEGATO_AUTH__OIDC__DISPLAY_NAME": "Company SSO", **extra}


def _submit(client: httpx.Client, page: httpx.Response, **fields: str) -> httpx.Response:
    """Post the provider page's form (its sign-in or consent step) and follow where it leads."""
    action = re.search(r'<form[^>]*action="([^"]+)"', page.text)
    assert action, f"no form on the provider's page:\n{page.text[:500]}"
    return client.post(httpx.URL(str(page.url)).join(action.group(1)), data=fields, follow_redirects=True)


def _sign_in(client: httpx.Client, base: str, who: str, next_path: str = "/ui/flows") -> httpx.Response:
    start = client.get(f"{base}/api/v1/auth/oidc/login", params={"next": next_path})
    assert start.status_code == 302, start.text
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["client_id"] == ["legato"]
    assert len(query["code_challenge"][0]) == 43 and query["state"][0] and query["nonce"][0]
    page = client.get(start.headers["location"], follow_redirects=True)
    if urlsplit(str(page.url)).netloc == urlsplit(base).netloc:
        return page  # the provider remembered this browser's sign-in and consent: straight back
    assert 'name="login"' in page.text, page.text[:300]
    consent = _submit(client, page, prompt="login", login=who, password="anything")
    return _submit(client, consent, prompt="consent")


def test_sign_in_creates_the_user_with_the_providers_groups(tmp_path: Path, provider: tuple[str, int]) -> None:
    issuer, port = provider
    url = prepare(tmp_path / "data")
    with webserver(tmp_path / "data", url, port, _settings(issuer)) as base, httpx.Client(timeout=30) as browser:
        methods = browser.get(f"{base}/api/v1/auth/providers").json()
        assert methods == {"password": True, "ldap": False,
                           "oidc": {"name": "Company SSO", "loginUrl": "/api/v1/auth/oidc/login"}}
        assert browser.get(f"{base}/api/v1/main/flows/search").status_code == 401

        landed = _sign_in(browser, base, "alice")
        assert [urlsplit(str(r.url)).path for r in landed.history][-1] == "/api/v1/auth/oidc/callback"
        assert urlsplit(str(landed.url)).path == "/ui/flows", landed.url
        me = browser.get(f"{base}/api/v1/me").json()
        assert me["username"] == "alice" and me["kind"] == "USER" and not me["owner"]
        assert {"permission": "FLOW:VIEW", "namespaces": ["team"]} in me["permissions"]
        assert groups_of(url, "alice") == ["data-team"]  # "not-in-legato" names no Legato group
        assert browser.get(f"{base}/api/v1/main/flows/search").status_code == 200
        csrf = browser.cookies.get("legato_csrf", domain="127.0.0.1")
        refused = browser.post(f"{base}/api/v1/main/flows", content="id: x\nnamespace: team\ntasks: []\n",
                               headers={"content-type": "application/x-yaml", "x-csrf-token": csrf or ""})
        assert refused.status_code == 403 and "FLOW:CREATE" in refused.text

        # The user has no Legato password: a password sign-in cannot reach it.
        assert browser.post(f"{base}/api/v1/login", json={"username": "alice", "password": "anything"}).status_code == 401

        # Signing in again syncs the groups: an administrator's extra membership is taken back.
        with httpx.Client(base_url=base, auth=("root", "root-password"), timeout=30) as admin:
            ops = next(g for g in admin.get("/api/v1/main/groups").json() if g["name"] == "ops")
            alice = next(u for u in admin.get("/api/v1/main/users").json() if u["username"] == "alice")
            assert admin.put(f"/api/v1/main/groups/{ops['id']}/members/{alice['id']}").status_code == 204
        assert groups_of(url, "alice") == ["data-team", "ops"]
        _sign_in(browser, base, "alice")
        assert groups_of(url, "alice") == ["data-team"]


def test_answers_that_do_not_belong_to_the_sign_in_are_refused(tmp_path: Path, provider: tuple[str, int]) -> None:
    issuer, port = provider
    url = prepare(tmp_path / "data")
    with webserver(tmp_path / "data", url, port, _settings(issuer)) as base, httpx.Client(timeout=30) as browser:
        # No sign-in started in this browser.
        stray = browser.get(f"{base}/api/v1/auth/oidc/callback", params={"code": "x", "state": "y"})
        assert stray.status_code == 303 and stray.headers["location"].startswith("/ui/login?error=")
        assert "sign%20in%20again" in stray.headers["location"]
        # A state that is not this sign-in's.
        browser.get(f"{base}/api/v1/auth/oidc/login")
        forged = browser.get(f"{base}/api/v1/auth/oidc/callback", params={"code": "x", "state": "forged"})
        assert forged.status_code == 303 and "does%20not%20belong" in forged.headers["location"]
        # The provider's refusal is reported, not a session.
        browser.get(f"{base}/api/v1/auth/oidc/login")
        denied = browser.get(f"{base}/api/v1/auth/oidc/callback", params={"error": "access_denied",
                                                                           "error_description": "End-User aborted"})
        assert "End-User%20aborted" in denied.headers["location"]
        assert "legato_session" not in browser.cookies
        # Another site is never a place to return to.
        start = browser.get(f"{base}/api/v1/auth/oidc/login", params={"next": "//evil.example/x"})
        assert start.status_code == 302
        landed = _sign_in(browser, base, "bob", next_path="https://evil.example/")
        assert urlsplit(str(landed.url)).netloc == f"127.0.0.1:{port}" and urlsplit(str(landed.url)).path == "/ui/"


def test_without_user_creation_only_existing_users_sign_in(tmp_path: Path, provider: tuple[str, int]) -> None:
    issuer, port = provider
    url = prepare(tmp_path / "data")
    settings = _settings(issuer, LEGATO_AUTH__OIDC__CREATE_USERS="false")
    with webserver(tmp_path / "data", url, port, settings) as base, httpx.Client(timeout=30) as browser:
        refused = _sign_in(browser, base, "alice")
        assert urlsplit(str(refused.url)).path == "/ui/login"
        assert "has no Legato account" in parse_qs(urlsplit(str(refused.url)).query)["error"][0]
        with httpx.Client(base_url=base, auth=("root", "root-password"), timeout=30) as admin:
            made = admin.post("/api/v1/main/users", json={"username": "alice"})
            assert made.status_code in (200, 201), made.text
        landed = _sign_in(browser, base, "alice")
        assert urlsplit(str(landed.url)).path == "/ui/flows"
        assert browser.get(f"{base}/api/v1/me").json()["username"] == "alice"
