"""SCIM 2.0 resources as Legato answers them: Users and Groups (with `meta`), and the discovery documents
(`/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas`) describing exactly what is supported. Pure: the base
URL of the integration comes in as an argument."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from legato.identity import scim
from legato.identity.records import Account, Group

SPC = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def version(moment: datetime) -> str:
    """A weak ETag from the last change."""
    return f'W/"{int(moment.timestamp() * 1_000_000)}"'


def _meta(kind: str, base: str, path: str, created: datetime, modified: datetime) -> dict[str, Any]:
    return {"resourceType": kind, "created": _time(created), "lastModified": _time(modified),
            "location": f"{base}/{path}", "version": version(modified)}


def user(account: Account, base: str) -> dict[str, Any]:
    """The SCIM User of an account."""
    profile = account.profile or {}
    found: dict[str, Any] = {
        "schemas": [scim.USER], "id": account.id, "userName": account.name, "displayName": account.display_name,
        "active": not account.disabled,
        "meta": _meta("User", base, f"Users/{account.id}", account.created, account.updated),
    }
    if profile.get("name"):
        found["name"] = profile["name"]
    if account.external_id is not None:
        found["externalId"] = account.external_id
    if profile.get("emails"):
        found["emails"] = profile["emails"]
    elif account.email:
        found["emails"] = [{"value": account.email, "primary": True}]
    return found


def group(value: Group, members: list[Account], base: str) -> dict[str, Any]:
    """The SCIM Group of a group with its members (users and service accounts)."""
    found: dict[str, Any] = {
        "schemas": [scim.GROUP], "id": value.id, "displayName": value.name,
        "members": [_member(m, base) for m in members],
        "meta": _meta("Group", base, f"Groups/{value.id}", value.created, value.last_modified),
    }
    if value.external_id is not None:
        found["externalId"] = value.external_id
    return found


def _member(account: Account, base: str) -> dict[str, Any]:
    if account.kind == "USER":
        return {"value": account.id, "display": account.name, "type": "User", "$ref": f"{base}/Users/{account.id}"}
    return {"value": account.id, "display": account.name}


def listing(resources: list[dict[str, Any]], total: int, start: int) -> dict[str, Any]:
    return {"schemas": [scim.LIST], "totalResults": total, "startIndex": start, "itemsPerPage": len(resources),
            "Resources": resources}


# discovery -------------------------------------------------------------------------------------------------
def service_provider_config(base: str) -> dict[str, Any]:
    """What is supported (documented in docs/security.md, "SCIM provisioning")."""
    return {
        "schemas": [SPC],
        "patch": {"supported": True}, "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": scim.MAX_RESULTS},
        "changePassword": {"supported": True}, "sort": {"supported": False}, "etag": {"supported": True},
        "authenticationSchemes": [{
            "type": "oauthbearertoken", "name": "API token", "primary": True,
            "description": "The API token of the SCIM integration, shown once when the integration is created, "
                           "sent as 'Authorization: Bearer <token>'.",
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": f"{base}/ServiceProviderConfig"},
    }


def resource_types(base: str) -> list[dict[str, Any]]:
    return [
        {"schemas": [RESOURCE_TYPE], "id": "User", "name": "User", "endpoint": "/Users", "schema": scim.USER,
         "description": "A person who signs in to Legato", "meta": {"resourceType": "ResourceType",
                                                                     "location": f"{base}/ResourceTypes/User"}},
        {"schemas": [RESOURCE_TYPE], "id": "Group", "name": "Group", "endpoint": "/Groups", "schema": scim.GROUP,
         "description": "A group of users; roles bound to it reach its members",
         "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/Group"}},
    ]


def _attr(name: str, kind: str = "string", *, required: bool = False, multi: bool = False, case_exact: bool = False,
          mutability: str = "readWrite", returned: str = "default", uniqueness: str = "none",
          sub: list[dict[str, Any]] | None = None, description: str = "") -> dict[str, Any]:
    found: dict[str, Any] = {"name": name, "type": kind, "multiValued": multi, "description": description,
                             "required": required, "caseExact": case_exact, "mutability": mutability,
                             "returned": returned, "uniqueness": uniqueness}
    if sub is not None:
        found["subAttributes"] = sub
    return found


def schemas(base: str) -> list[dict[str, Any]]:
    """The User and Group schemas, limited to the attributes Legato keeps."""
    user_attributes = [
        _attr("userName", required=True, uniqueness="server", description="The sign-in name; single sign-on "
              "maps a person to the user of this name (or of the same e-mail address)."),
        _attr("name", "complex", sub=[_attr(part) for part in ("formatted", "familyName", "givenName", "middleName",
                                                                "honorificPrefix", "honorificSuffix")]),
        _attr("displayName"),
        _attr("emails", "complex", multi=True, sub=[_attr("value"), _attr("type"), _attr("primary", "boolean"),
                                                    _attr("display")],
              description="The primary (else the first) address is the user's e-mail address."),
        _attr("active", "boolean", description="false: the user cannot sign in and its API tokens stop working."),
        _attr("password", mutability="writeOnly", returned="never"),
        _attr("externalId", case_exact=True),
    ]
    group_attributes = [
        _attr("displayName", required=True, uniqueness="server"),
        _attr("members", "complex", multi=True, sub=[
            _attr("value", case_exact=True, mutability="immutable"), _attr("display", mutability="readOnly"),
            _attr("$ref", "reference", mutability="immutable"), _attr("type", mutability="immutable")]),
        _attr("externalId", case_exact=True),
    ]
    return [
        {"schemas": [SCHEMA], "id": scim.USER, "name": "User", "description": "User Account",
         "attributes": user_attributes, "meta": {"resourceType": "Schema", "location": f"{base}/Schemas/{scim.USER}"}},
        {"schemas": [SCHEMA], "id": scim.GROUP, "name": "Group", "description": "Group",
         "attributes": group_attributes, "meta": {"resourceType": "Schema", "location": f"{base}/Schemas/{scim.GROUP}"}},
    ]
