"""Sign-in and access management in a real browser (identity_scenarios.mjs, run by browser.mjs): against a
`legato server local` whose owner `root` was made with `legato user create` before the start, and, for open mode,
against the usual server without users. A failing scenario leaves a screenshot and the page's HTML in
test-results/ui/."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.e2e.sso_support import prepare, webserver
from tests.e2e.test_sso_oidc import _settings, provider  # noqa: F401 - a fixture used by name
from tests.e2e.ui.test_web_ui import LEGATO, _scenario, local_server

ROOT_PASSWORD = "root-password-e2e"  # as in identity_scenarios.mjs


@pytest.fixture(scope="module")
def auth_server(browser_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a `legato server local` with examples/ deployed and one user, the owner `root`."""
    data = tmp_path_factory.mktemp("ui-auth-server")
    created = subprocess.run([LEGATO, "user", "create", "root", "--password-stdin", "--data-dir", str(data / "data")],
                             input=ROOT_PASSWORD + "\n", capture_output=True, text=True, timeout=120, cwd=data)
    assert created.returncode == 0, created.stderr
    with local_server(data) as base:
        yield base


def test_sign_in_user_menu_token_create_a_viewer_and_what_it_sees(auth_server: str) -> None:
    """The sign-in page passes axe-core in both themes; a page sends to it (no Basic prompt); a wrong password is refused, the right one returns to
    the page; the user menu names the owner; a user is created and bound the Viewer role (checked through the
    API); a personal token is shown once, works as Bearer and is revoked; sign-out; the viewer signs in and sees
    no administration, no audit log and no way to add a secret; an SSO error shows on the sign-in page."""
    _scenario("sign_in_and_admin", auth_server)


def test_groups_roles_bindings_service_accounts_and_users_managed_in_the_ui(auth_server: str) -> None:
    """A group gets a member; a custom role is made and edited in the permission grid and bound to the group on a
    namespace (the member's permissions say so); a service account's token acts as it; a user is disabled
    (refused), enabled, given a new password (which works) and deleted — each checked through the API."""
    _scenario("access_management", auth_server)


def test_scim_integration_created_token_shown_once_disabled_and_deleted_in_the_ui(auth_server: str) -> None:
    """The owner creates a SCIM integration: its endpoint and token are shown once (the token works against the
    endpoint, axe finds nothing with it shown) and are gone after Done and a reload; disabling it makes the token
    refused (401); deleting it asks to confirm, then the API no longer lists it."""
    _scenario("scim_integrations", auth_server)


def test_tenants_created_renamed_and_deleted_in_the_ui(auth_server: str) -> None:
    """The owner creates a tenant in Administration > Tenants (its API answers at once; axe finds nothing), renames
    it, is refused its deletion while it holds a flow (the API's message shows), and deletes it once the flow is
    gone; `main` offers no delete. Each step checked through the API."""
    _scenario("tenants_admin", auth_server)


def test_a_tenants_user_lands_there_sees_and_runs_its_flows_only_and_the_owner_switches(auth_server: str) -> None:
    """A user bound in tenant `acme…` only signs in at /ui/ and lands at /ui/acme…/: the menu's links keep the
    tenant; it sees acme's flow and not main's, runs it (the execution is in acme, 404 in main), sees that run and
    not main's in the executions list; /ui/main/... and un-prefixed /ui/flows show "No access to tenant main" with
    none of main's data, an unknown tenant "No tenant"; axe finds nothing there. The owner opens the user menu's
    tenant switcher (the current tenant marked), goes to main (its flow, not acme's) and back."""
    _scenario("tenants_in_the_ui", auth_server)


def test_namespace_files_write_controls_follow_the_users_permissions(auth_server: str) -> None:
    """A viewer of `dev` sees its files in the Files tab and the editor's files panel with no upload, new
    folder, rename, delete, new file or save; a viewer of `development` gets no Files tab on `dev`; an editor of
    `dev` uploads, makes a folder, renames and deletes there (the API lists the result)."""
    _scenario("namespace_files_access", auth_server)


def test_open_mode_has_no_sign_in_and_no_user_menu(server: str) -> None:
    """Without users, pages load at once, with no user menu and no administration; secrets can be added."""
    _scenario("open_mode", server)


def test_sign_in_account_and_administration_pages_pass_axe_in_both_themes(server: str) -> None:
    """axe-core's rules (names, roles, ARIA, structure, colour contrast) find nothing on the account page and every
    administration section, in the light and the dark theme (the sign-in page: in sign_in_and_admin)."""
    _scenario("identity_accessibility", server)


def test_single_sign_on_button_goes_to_the_provider_and_back(
        browser_ready: None, tmp_path: Path, provider: tuple[str, int]) -> None:  # noqa: F811
    """With an OpenID Connect provider configured (a real oidc-provider), the sign-in page offers "Sign in with
    Company SSO"; its sign-in and consent pages lead back to the first page asked for, signed in as alice."""
    issuer, port = provider
    url = prepare(tmp_path / "data")
    with webserver(tmp_path / "data", url, port, _settings(issuer)) as base:
        _scenario("single_sign_on", base)
