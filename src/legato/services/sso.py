"""Sign-in through an identity provider: OpenID Connect (single sign-on in the browser) and LDAP (a name and
password checked by the directory). The provider says who signed in; Legato finds the user of that name, else
the user with that e-mail address (users provisioned through SCIM often have another name), or
creates it (without a password, when the provider is configured to) and, when the provider lists the user's
groups, makes the user a member of exactly the Legato groups of those names. Its roles come from the bindings
of the user and of those groups, as for any user."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Protocol

from legato.identity import lockout
from legato.identity.ldap import LdapDirectory
from legato.identity.lockout import Counter, Policy
from legato.identity.records import Account, ExternalIdentity, Session
from legato.services import access, audit, identity
from legato.services.errors import AuthenticationError
from legato.services.principal import SYSTEM
from legato.store.ports import AuditLog, IdentityStore


class AccountPorts(AuditLog, IdentityStore, Protocol):
    """What single sign-on uses: accounts and their groups, and the audit log."""


def external_sign_in(store: AccountPorts, who: ExternalIdentity, *, source: str, create_users: bool, now: datetime,
                     ttl: timedelta) -> tuple[str, Session, Account]:
    """A session for the user the provider `source` ("oidc", "ldap") vouches for (see the module's docstring).
    AuthenticationError when no such user exists and none may be created, or the user is disabled or locked."""
    account = store.account_by_name(who.username)
    if account is None and who.email:  # a user provisioned (SCIM) under another name with the same address
        account = store.account_by_email(who.email)
    if account is None:
        if not create_users:
            raise AuthenticationError(f"'{who.username}' signed in with {source.upper()} but has no Legato account; "
                                      "an administrator must create it")
        account = _create(store, who, source, now)
    if account.kind != "USER" or account.disabled or (account.locked_until and account.locked_until > now):
        raise AuthenticationError("invalid credentials")
    if who.groups is not None:
        _sync_groups(store, account, who.groups, source, now)
    return identity.start_session(store, account, now=now, ttl=ttl)


def password_sign_in(store: AccountPorts, name: str, password: str, *, ldap: LdapDirectory | None, now: datetime,
                     policy: Policy, ttl: timedelta) -> tuple[str, Session, Account]:
    """Sign in with a name and password: a user with a Legato password is checked locally; any other name is
    checked by the LDAP directory when one is configured. Failures count towards the lockout either way.
    LdapError when the directory cannot be asked."""
    account = store.account_by_name(name)
    if ldap is None or (account is not None and account.password_hash is not None):
        return identity.sign_in(store, name, password, now=now, policy=policy, ttl=ttl)
    if account is not None and Counter(account.failures, account.failures_since, account.locked_until).locked(now):
        raise AuthenticationError("invalid credentials")
    who = ldap.authenticate(name, password)
    if who is None:
        if account is not None:
            after = lockout.after_failure(Counter(account.failures, account.failures_since, account.locked_until),
                                          now, policy)
            store.update_account(account.id, failures=after.failures, failures_since=after.since,
                                 locked_until=after.locked_until)
        raise AuthenticationError("invalid credentials")
    if account is not None and account.failures:
        store.update_account(account.id, failures=0, failures_since=None, locked_until=None)
    return external_sign_in(store, who, source="ldap", create_users=ldap.config.create_users, now=now, ttl=ttl)


def configured_owner_sign_in(store: AccountPorts, name: str, *, now: datetime, ttl: timedelta) -> tuple[str, Session, Account]:
    """A session for the configured basic-auth pair (checked by the caller: the browser can send it only through
    the sign-in page): the owner account of that name, created at its first sign-in without a password of its
    own (the configured one stays the way in). AuthenticationError when a user of that name exists and is not an
    owner, or is disabled."""
    account = store.account_by_name(name)
    if account is None:
        account = identity.create_account(store, "USER", name, owner=True, by=SYSTEM, now=now, display_name=name)
    if account.kind != "USER" or not account.owner or account.disabled:
        raise AuthenticationError("invalid credentials")
    return identity.start_session(store, account, now=now, ttl=ttl)


def _create(store: AccountPorts, who: ExternalIdentity, source: str, now: datetime) -> Account:
    account = Account(id=uuid.uuid4().hex, kind="USER", name=who.username, display_name=who.display_name,
                      password_hash=None, owner=False, disabled=False, created=now, updated=now,
                      description=f"signed up through {source.upper()}" + (f" ({who.email})" if who.email else ""))
    with audit.action(store, SYSTEM, "CREATE", "USER", account.id, now=now,
                      details={"name": who.username, "source": source}):
        created = store.create_account(account)
    if not created:  # created meanwhile by another sign-in
        existing = store.account_by_name(who.username)
        assert existing is not None
        return existing
    identity.USERS_EXIST.clear()
    return account


def _sync_groups(store: AccountPorts, account: Account, names: tuple[str, ...], source: str, now: datetime) -> None:
    """Make `account` a member of exactly the existing groups named in `names`."""
    wanted = {g.id for g in store.list_groups() if g.name in set(names)}
    current = set(store.groups_of(account.id))
    if wanted == current:
        return
    with audit.action(store, SYSTEM, "UPDATE", "USER", account.id, now=now,
                      details={"groups": {"before": sorted(current), "after": sorted(wanted)}, "source": source}):
        for group_id in wanted - current:
            store.add_group_member(group_id, account.id)
        for group_id in current - wanted:
            store.remove_group_member(group_id, account.id)
    access.CACHE.clear()
