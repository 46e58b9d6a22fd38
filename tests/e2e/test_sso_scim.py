"""A user provisioned through SCIM signs in with OpenID Connect: a real provider (tests/oidc_provider.mjs) and
`legato server webserver` as a real process. The provider's `alice` (e-mail alice@example.org) is provisioned
under another name, as identity providers often do (the e-mail address as userName); single sign-on finds her by
e-mail. Deactivated through SCIM, she can no longer sign in."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from tests.e2e.sso_support import prepare, webserver
from tests.e2e.test_sso_oidc import _settings, _sign_in, provider

__all__ = ["provider"]  # the provider fixture, shared with test_sso_oidc


def test_a_provisioned_user_signs_in_with_oidc_until_deactivated(tmp_path: Path, provider: tuple[str, int]) -> None:
    issuer, port = provider
    url = prepare(tmp_path / "data")
    settings = _settings(issuer, LEGATO_AUTH__OIDC__CREATE_USERS="false")
    with webserver(tmp_path / "data", url, port, settings) as base, httpx.Client(timeout=30) as browser:
        with httpx.Client(base_url=base, auth=("root", "root-password"), timeout=30) as admin:
            integration = admin.post("/api/v1/main/integrations", json={"description": "okta"}).json()
        headers = {"authorization": f"Bearer {integration['token']}", "content-type": "application/scim+json"}
        with httpx.Client(base_url=integration["endpoint"] + "/", headers=headers, timeout=30) as scim:
            created = scim.post("Users", json={"userName": "Alice.Analyst@corp.example", "displayName": "Alice",
                                               "emails": [{"value": "ALICE@example.org", "primary": True}]})
            assert created.status_code == 201, created.text
            user_id = created.json()["id"]

            landed = _sign_in(browser, base, "alice")
            assert urlsplit(str(landed.url)).path == "/ui/flows", landed.url
            assert browser.get(f"{base}/api/v1/me").json()["username"] == "Alice.Analyst@corp.example"

            off = scim.patch(f"Users/{user_id}", json={
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "value": {"active": False}}]})
            assert off.status_code == 200 and off.json()["active"] is False
        assert browser.get(f"{base}/api/v1/me").status_code == 401  # her session ended with the deactivation
        browser.cookies.clear()
        refused = _sign_in(browser, base, "alice")
        assert urlsplit(str(refused.url)).path == "/ui/login"
        assert "invalid credentials" in parse_qs(urlsplit(str(refused.url)).query)["error"][0]
