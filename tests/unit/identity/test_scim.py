"""SCIM's pure part: reading resources, filters, PATCH operations as Okta and Microsoft Entra ID send them."""

from __future__ import annotations

from typing import Any

import pytest

from legato.identity import scim
from legato.identity.scim import ScimError


def _user(**extra: Any) -> dict[str, Any]:
    return {"schemas": [scim.USER], "id": "u1", "userName": "ada@example.org", "displayName": "Ada",
            "active": True, "emails": [{"value": "ada@example.org", "type": "work", "primary": True}], **extra}


def test_reading_a_user_keeps_name_emails_and_coerces_entra_booleans() -> None:
    read = scim.read_user({"USERNAME": " ada@example.org ", "name": {"givenName": "Ada", "familyName": "Lovelace"},
                           "emails": [{"value": "home@example.org"}, {"value": "work@example.org", "primary": "True"}],
                           "active": "False", "externalId": "00u1"})
    assert read.user_name == "ada@example.org" and read.display_name == "Ada Lovelace"
    assert read.email == "work@example.org" and read.active is False and read.external_id == "00u1"
    assert read.profile == {"name": {"givenName": "Ada", "familyName": "Lovelace"},
                            "emails": [{"value": "home@example.org"}, {"value": "work@example.org", "primary": True}]}
    assert scim.read_user({"userName": "bob"}).display_name == "bob"


@pytest.mark.parametrize(("body", "message"), [
    ([], "JSON object"), ({}, "'userName' is required"), ({"userName": " "}, "'userName' is required"),
    ({"userName": "a", "active": "maybe"}, "'active' must be true or false"),
    ({"userName": "a", "name": "Ada"}, "'name' must be an object"),
    ({"userName": {"x": 1}}, "'userName' must be a string"),
])
def test_invalid_users_are_refused_with_what_is_wrong(body: Any, message: str) -> None:
    with pytest.raises(ScimError) as refused:
        scim.read_user(body)
    assert refused.value.status == 400 and message in refused.value.detail


def test_reading_a_group() -> None:
    read = scim.read_group({"displayName": "Ops", "members": [{"value": "u1"}, {"value": "u2"}, {"value": "u1"}]})
    assert read.display_name == "Ops" and read.members == ("u1", "u2")
    assert scim.read_group({"displayName": "Ops"}).members is None
    with pytest.raises(ScimError, match="each member"):
        scim.read_group({"displayName": "Ops", "members": [{"display": "x"}]})


def test_filters() -> None:
    user = _user(externalId="Ext-1", name={"givenName": "Ada"})
    assert scim.parse_filter('userName eq "ADA@example.org"').matches(user)  # caseExact false
    assert not scim.parse_filter('externalId eq "ext-1"').matches(user)  # caseExact true
    assert scim.parse_filter('emails.value eq "ada@example.org" AND active eq true').matches(user)
    assert scim.parse_filter('emails eq "ada@example.org"').matches(user)
    assert scim.parse_filter(f'{scim.USER}:name.givenName eq "ada"').matches(user)
    assert not scim.parse_filter('active eq false').matches(user)
    assert scim.parse_filter('userName eq "x"').only("USERNAME") == "x"
    assert scim.parse_filter('userName eq "x" and active eq true').only("username") is None
    assert scim.parse_filter(r'userName eq "a \"quoted\" name"').clauses == (("username", 'a "quoted" name'),)
    group = {"displayName": "Ops", "members": [{"value": "u1"}, {"value": "u2"}]}
    assert scim.parse_filter('members[value eq "u2"]').matches(group)
    assert not scim.parse_filter('members[value eq "u3"]').matches(group)


@pytest.mark.parametrize("text", ['userName co "a"', "userName eq", 'userName eq "a" or active eq true',
                                  "(userName eq \"a\")", 'userName eq "a" and'])
def test_unsupported_filters_are_invalid_filter(text: str) -> None:
    with pytest.raises(ScimError) as refused:
        scim.parse_filter(text)
    assert refused.value.scim_type == "invalidFilter" and refused.value.status == 400


def test_okta_patches_without_a_path() -> None:
    patched, touched = scim.apply_patch(_user(), {"schemas": [scim.PATCH], "Operations": [
        {"op": "replace", "value": {"active": False, "name.familyName": "Byron"}}]})
    assert patched["active"] is False and patched["name"] == {"familyName": "Byron"}
    assert touched == {"active", "name"}


def test_entra_patches_with_paths() -> None:
    patched, touched = scim.apply_patch(_user(), {"Operations": [
        {"op": "Replace", "path": "displayName", "value": "Ada L."},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "new@example.org"},
        {"op": "Add", "path": 'emails[type eq "home"].value', "value": "home@example.org"},
        {"op": "Add", "path": f"{scim.ENTERPRISE_USER}:department", "value": "R&D"},
        {"op": "Remove", "path": "externalId"},
        {"op": "Add", "path": f"{scim.USER}:title", "value": "Countess"}]})
    assert patched["displayName"] == "Ada L." and patched["title"] == "Countess"
    assert patched["emails"] == [{"value": "new@example.org", "type": "work", "primary": True},
                                 {"type": "home", "value": "home@example.org"}]
    assert "department" not in str(patched) and touched == {"displayname", "emails", "externalid", "title"}


def test_member_operations() -> None:
    group = {"displayName": "Ops", "members": [{"value": "u1"}, {"value": "u2"}]}
    added, _ = scim.apply_patch(group, {"Operations": [{"op": "add", "path": "members",
                                                        "value": [{"value": "u2"}, {"value": "u3"}]}]})
    assert [m["value"] for m in added["members"]] == ["u1", "u2", "u3"]
    removed, _ = scim.apply_patch(group, {"Operations": [{"op": "remove", "path": 'members[value eq "u1"]'}]})
    assert removed["members"] == [{"value": "u2"}]
    entra, _ = scim.apply_patch(group, {"Operations": [{"op": "Remove", "path": "members", "value": [{"value": "u2"}]}]})
    assert entra["members"] == [{"value": "u1"}]
    cleared, _ = scim.apply_patch(group, {"Operations": [{"op": "remove", "path": "members"}]})
    assert "members" not in cleared
    assert group["members"] == [{"value": "u1"}, {"value": "u2"}]  # the input is left as it was


@pytest.mark.parametrize(("body", "scim_type"), [
    ({}, "invalidValue"), ({"Operations": []}, "invalidValue"), ({"Operations": [{"op": "copy"}]}, "invalidValue"),
    ({"Operations": [{"op": "remove"}]}, "noTarget"), ({"Operations": [{"op": "add", "value": 1}]}, "invalidValue"),
    ({"Operations": [{"op": "add", "path": "a[", "value": 1}]}, "invalidPath"),
    ({"Operations": [{"op": "replace", "path": 'emails[type eq "x"]', "value": {}}]}, "noTarget"),
    ([], "invalidSyntax"),
])
def test_invalid_patches(body: Any, scim_type: str) -> None:
    with pytest.raises(ScimError) as refused:
        scim.apply_patch(_user(), body)
    assert refused.value.scim_type == scim_type


def test_paging_bounds() -> None:
    assert scim.page(None, None) == (1, scim.MAX_RESULTS)
    assert scim.page(0, -5) == (1, 0)
    assert scim.page(3, 10_000) == (3, scim.MAX_RESULTS)


def test_error_body() -> None:
    assert scim.error_body(409, "taken", "uniqueness") == {"schemas": [scim.ERROR], "status": "409",
                                                            "detail": "taken", "scimType": "uniqueness"}
    assert "scimType" not in scim.error_body(404, "gone")
