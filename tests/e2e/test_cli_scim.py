"""`legato scim ...` as an administrator runs it: the integration the CLI creates (endpoint and token printed once)
provisions users against a real server on the same database; disabling it refuses the provider, deleting it
ends its token."""

from __future__ import annotations

from pathlib import Path

import httpx
from tests.e2e.test_cli_users import _serve, legato


def test_create_list_disable_enable_delete(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert legato(data, "user", "create", "root", "--password-stdin", stdin="root-password\n").returncode == 0
    for server in _serve(data):
        made = legato(data, "scim", "create", "--description", "okta", "--server-url", server.url + "/")
        assert made.returncode == 0, made.stderr
        assert "shown this once" in made.stderr
        fields = dict(line.split(":", 1) for line in made.stdout.splitlines())
        integration, endpoint, token = (fields[k].strip() for k in ("integration", "endpoint", "token"))
        assert endpoint == f"{server.url}/api/v1/main/integrations/{integration}/scim/v2"
        listed = legato(data, "scim", "list", "--server-url", server.url)
        assert listed.returncode == 0 and f"{integration}  enabled   {endpoint}  okta" in listed.stdout
        headers = {"authorization": f"Bearer {token}"}
        with httpx.Client(base_url=endpoint + "/", headers=headers, timeout=30) as scim:
            created = scim.post("Users", json={"userName": "ada@example.org"})
            assert created.status_code == 201, created.text
            assert legato(data, "scim", "disable", integration).stdout.strip() == f"disabled {integration}"
            assert scim.get("Users").status_code == 401
            assert legato(data, "scim", "enable", integration).returncode == 0
            assert {u["userName"] for u in scim.get("Users").json()["Resources"]} == {"root", "ada@example.org"}
            assert legato(data, "scim", "delete", integration).returncode == 0
            assert scim.get("Users").status_code == 401
        unknown = legato(data, "scim", "disable", "nope")
        assert unknown.returncode == 1 and "SCIM integration 'nope' not found" in unknown.stderr
        assert legato(data, "user", "list").stdout.count("ada@example.org") == 1  # provisioned users stay
