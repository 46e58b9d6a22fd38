"""SCIM provisioning of users and groups: what an identity provider's requests do, through the identity and
access services (the one write path: each checks the acting principal, the integration's service account).
Every write is in the audit log, with `source: scim`.

A User's `active: false` disables the account (no sign-in, its tokens and sessions stop working); DELETE removes
the account (RFC 7644 §3.6: a deleted resource is gone, and its userName is free again). Owners are out of reach:
only an instance owner may change or remove one, and an integration never is one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from legato.identity import scim
from legato.identity.permissions import Action, Resource
from legato.identity.records import Account, Group
from legato.identity.scim import Filter, GroupAttributes, UserAttributes
from legato.services import access, audit, identity
from legato.services.errors import NotFoundError
from legato.services.principal import Principal, require_instance
from legato.services.scim import ScimPorts


# users -----------------------------------------------------------------------------------------------------
def find_users(store: ScimPorts, where: Filter | None, *, by: Principal, render: Callable[[Account], dict[str, Any]],
               ) -> list[Account]:
    """The users a filter selects (all of them without one), by name. `userName eq` and `externalId eq` are
    looked up directly; other filters are evaluated over each user's SCIM form (`render`)."""
    require_instance(by, Resource.USER, Action.LIST)
    if where is not None and (name := where.only("username")) is not None:
        # userName is case-insensitive in SCIM, names in Legato are not: the exact name first
        found = store.account_by_name(name) or store.account_by_name_folded(name)
        return [found] if found is not None and found.kind == "USER" else []
    if where is not None and (external := where.only("externalid")) is not None:
        found = store.account_by_external_id(external)
        return [found] if found is not None and found.kind == "USER" else []
    users = store.list_accounts("USER")
    return users if where is None else [u for u in users if where.matches(render(u))]


def get_user(store: ScimPorts, user_id: str, *, by: Principal) -> Account:
    require_instance(by, Resource.USER, Action.VIEW)
    found = store.get_account(user_id)
    if found is None or found.kind != "USER":
        raise NotFoundError(f"user '{user_id}' not found")
    return found


def create_user(store: ScimPorts, wanted: UserAttributes, *, by: Principal, now: datetime) -> Account:
    """A new user; ConflictError when its userName is taken."""
    with audit.action(store, by, "CREATE", "USER", wanted.user_name, now=now, details=_details(wanted)):
        return identity.create_account(
            store, "USER", wanted.user_name, password=wanted.password, display_name=wanted.display_name, by=by,
            now=now, email=wanted.email, external_id=wanted.external_id, disabled=not wanted.active,
            profile=wanted.profile)


def replace_user(store: ScimPorts, user_id: str, wanted: UserAttributes, *, by: Principal, now: datetime) -> Account:
    """Set every attribute Legato keeps of a user (PUT, and PATCH once applied)."""
    before = get_user(store, user_id, by=by)
    with audit.action(store, by, "UPDATE", "USER", before.id, now=now, details=_details(wanted, before)):
        account = identity.update_profile(store, "USER", before.id, by=by, now=now, name=wanted.user_name,
                                          display_name=wanted.display_name, email=wanted.email,
                                          external_id=wanted.external_id, profile=wanted.profile)
        if account.disabled == wanted.active:
            account = identity.set_disabled(store, "USER", account.id, not wanted.active, by=by, now=now)
        if wanted.password is not None:
            identity.set_password(store, account.id, wanted.password, by=by, now=now)
    return account


def patch_user(store: ScimPorts, user_id: str, body: Any, *, by: Principal, now: datetime,
               render: Callable[[Account], dict[str, Any]]) -> Account:
    """Apply a PatchOp to a user's SCIM form, then set what it says."""
    before = get_user(store, user_id, by=by)
    resource, touched = scim.apply_patch(render(before), body)
    if "name" in touched and "displayname" not in touched:
        resource.pop(scim_key(resource, "displayName"), None)  # the display name follows a new name
    if "password" not in touched:
        resource.pop(scim_key(resource, "password"), None)
    return replace_user(store, before.id, scim.read_user(resource), by=by, now=now)


def scim_key(resource: dict[str, Any], name: str) -> str:
    return next((k for k in resource if k.lower() == name.lower()), name)


def delete_user(store: ScimPorts, user_id: str, *, by: Principal, now: datetime) -> None:
    account = get_user(store, user_id, by=by)
    with audit.action(store, by, "DELETE", "USER", account.id, now=now, details={"name": account.name,
                                                                                 "source": "scim"}):
        identity.delete_account(store, "USER", account.id, by=by)


def _details(wanted: UserAttributes, before: Account | None = None) -> dict[str, Any]:
    after = {"name": wanted.user_name, "displayName": wanted.display_name, "email": wanted.email,
             "externalId": wanted.external_id, "active": wanted.active}
    if before is None:
        return {"source": "scim", **after}
    old = {"name": before.name, "displayName": before.display_name, "email": before.email,
           "externalId": before.external_id, "active": not before.disabled}
    return {"source": "scim", **{k: audit.changed(old[k], v) for k, v in after.items() if old[k] != v}}


# groups ----------------------------------------------------------------------------------------------------
def find_groups(store: ScimPorts, where: Filter | None, *, by: Principal,
                render: Callable[[Group], dict[str, Any]]) -> list[Group]:
    """The groups a filter selects (all without one), by name."""
    require_instance(by, Resource.GROUP, Action.LIST)
    groups = store.list_groups()
    if where is not None and (name := where.only("displayname")) is not None:
        return [g for g in groups if g.name.lower() == name.lower()]
    return groups if where is None else [g for g in groups if where.matches(render(g))]


def get_group(store: ScimPorts, group_id: str, *, by: Principal) -> tuple[Group, list[Account]]:
    """A group with its members' accounts."""
    group, member_ids = access.get_group(store, group_id, by=by)
    members = [a for a in (store.get_account(m) for m in member_ids) if a is not None]
    return group, sorted(members, key=lambda a: a.name)


def create_group(store: ScimPorts, wanted: GroupAttributes, *, by: Principal, now: datetime) -> Group:
    """A new group with its members; ConflictError when its displayName is taken."""
    _check_members(store, wanted.members or ())
    with audit.action(store, by, "CREATE", "GROUP", wanted.display_name, now=now, details=_group_details(wanted)):
        group = access.create_group(store, wanted.display_name, by=by, now=now, external_id=wanted.external_id)
    _set_members(store, group, (), wanted.members or (), by=by, now=now)
    return group


def replace_group(store: ScimPorts, group_id: str, wanted: GroupAttributes, *, by: Principal, now: datetime) -> Group:
    """Set a group's name, external id and (when given) its members."""
    group, members = get_group(store, group_id, by=by)
    _check_members(store, wanted.members or (), tuple(m.id for m in members))
    details = _group_details(wanted, group)
    if details.keys() - {"source"}:
        with audit.action(store, by, "UPDATE", "GROUP", group.id, now=now, details=details):
            group = access.update_group(store, group.id, by=by, now=now, name=wanted.display_name,
                                        external_id=wanted.external_id)
    if wanted.members is not None:
        _set_members(store, group, tuple(m.id for m in members), wanted.members, by=by, now=now)
    return group


def patch_group(store: ScimPorts, group_id: str, body: Any, *, by: Principal, now: datetime,
                render: Callable[[Group, list[Account]], dict[str, Any]]) -> Group:
    """Apply a PatchOp (members added, removed or replaced; displayName) to a group's SCIM form."""
    group, members = get_group(store, group_id, by=by)
    resource, touched = scim.apply_patch(render(group, members), body)
    wanted = scim.read_group(resource)
    if "members" not in touched:
        wanted = GroupAttributes(wanted.display_name, wanted.external_id, None)
    return replace_group(store, group.id, wanted, by=by, now=now)


def delete_group(store: ScimPorts, group_id: str, *, by: Principal, now: datetime) -> None:
    group, _ = get_group(store, group_id, by=by)
    with audit.action(store, by, "DELETE", "GROUP", group.id, now=now, details={"name": group.name,
                                                                               "source": "scim"}):
        access.delete_group(store, group.id, by=by)


def _check_members(store: ScimPorts, member_ids: tuple[str, ...], before: tuple[str, ...] = ()) -> None:
    """New members must be users: a provider never puts a service account (its own, say, into a group bound to
    a powerful role) in a group; service accounts already members stay."""
    unknown = [m for m in member_ids if m not in before and _kind(store, m) != "USER"]
    if unknown:
        raise scim.invalid(f"no user has the id {', '.join(repr(u) for u in unknown)}")


def _kind(store: ScimPorts, account_id: str) -> str | None:
    account = store.get_account(account_id)
    return account.kind if account is not None else None


def _set_members(store: ScimPorts, group: Group, before: tuple[str, ...], after: tuple[str, ...], *,
                 by: Principal, now: datetime) -> None:
    added, removed = sorted(set(after) - set(before)), sorted(set(before) - set(after))
    if not added and not removed:
        return
    details = {"source": "scim", "members": {"added": added, "removed": removed}}
    with audit.action(store, by, "UPDATE", "GROUP", group.id, now=now, details=details):
        for account_id in added:
            access.set_member(store, group.id, account_id, True, by=by)
        for account_id in removed:
            access.set_member(store, group.id, account_id, False, by=by)
    store.update_group(group.id, updated=now)  # a change of members changes the group's lastModified and version


def _group_details(wanted: GroupAttributes, before: Group | None = None) -> dict[str, Any]:
    if before is None:
        return {"source": "scim", "name": wanted.display_name, "externalId": wanted.external_id,
                "members": list(wanted.members or ())}
    found: dict[str, Any] = {"source": "scim"}
    if before.name != wanted.display_name:
        found["name"] = audit.changed(before.name, wanted.display_name)
    if before.external_id != wanted.external_id:
        found["externalId"] = audit.changed(before.external_id, wanted.external_id)
    return found

