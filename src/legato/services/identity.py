"""Users, service accounts, API tokens and sign-in (passwords with lockout, sessions). The API and the CLI call
these; each takes the acting principal and checks it."""

from __future__ import annotations

import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from legato.identity import lockout, passwords, tokens
from legato.identity.lockout import Counter, Policy
from legato.identity.permissions import Action, Resource
from legato.identity.records import Account, AccountKind, ApiToken, Session
from legato.services import access
from legato.services.errors import AuthenticationError, ConflictError, ForbiddenError, NotFoundError
from legato.services.principal import SYSTEM, Kind, Principal, require_instance
from legato.store.ports import AuditLog, IdentityStore


class AccountPorts(AuditLog, IdentityStore, Protocol):
    """What the identity services use: accounts, tokens and sessions, and the audit log."""


# Last-use stamps are written at most this often per token, so a busy client does not write on every request.
TOUCH_EVERY = timedelta(seconds=60)
SESSION_TTL = timedelta(hours=12)


@dataclass(frozen=True)
class IssuedToken:
    """A new API token: `text` is shown once and never again."""

    token: ApiToken
    text: str


# accounts --------------------------------------------------------------------------------------------------
def _resource(kind: AccountKind) -> Resource:
    return Resource.USER if kind == "USER" else Resource.SERVICE_ACCOUNT


def create_account(store: AccountPorts, kind: AccountKind, name: str, *, password: str | None = None,
                   display_name: str = "", description: str = "", owner: bool = False, by: Principal,
                   now: datetime, email: str | None = None, external_id: str | None = None,
                   disabled: bool = False, profile: dict[str, Any] | None = None) -> Account:
    """A new user (with a password, or none: it signs in with tokens only until one is set) or service account.
    Only the instance owner creates another owner. `email` and `external_id` come from SCIM provisioning."""
    require_instance(by, _resource(kind), Action.CREATE)
    if owner and not by.grants.owner:
        raise ForbiddenError("USER", "CREATE", None, instance=True)
    _check_name(name)
    if password is not None:
        passwords.check_strength(password)
    account = Account(
        id=uuid.uuid4().hex, kind=kind, name=name, display_name=display_name or name,
        password_hash=passwords.hash_password(password) if password is not None and kind == "USER" else None,
        owner=owner, disabled=disabled, created=now, updated=now, description=description, email=email,
        external_id=external_id, profile=profile,
    )
    if not store.create_account(account):
        raise ConflictError(f"the name '{name}' is taken")
    USERS_EXIST.clear()
    return account


def _check_name(name: str) -> None:
    if not name.strip() or len(name) > 255 or ":" in name:
        raise ValueError("a name must be 1 to 255 characters, without ':'")


PROFILE_FIELDS = frozenset({"name", "display_name", "description", "email", "external_id", "profile"})


def update_profile(store: AccountPorts, kind: AccountKind, account_id: str, *, by: Principal, now: datetime,
                   **changes: Any) -> Account:
    """Change an account's name, display name, description, e-mail or external id (the fields given).
    ConflictError when the new name is another account's; only an instance owner changes an owner."""
    if not changes.keys() <= PROFILE_FIELDS:
        raise ValueError(f"unknown account fields: {', '.join(sorted(changes.keys() - PROFILE_FIELDS))}")
    account = get_account(store, kind, account_id, by=by)
    require_instance(by, _resource(kind), Action.UPDATE)
    if account.owner and not by.grants.owner:
        raise ForbiddenError("USER", "UPDATE", None, instance=True, hint=" (only an instance owner changes another)")
    name = changes.get("name")
    if name is not None and name != account.name:
        _check_name(name)
        if store.account_by_name(name) is not None:
            raise ConflictError(f"the name '{name}' is taken")
    if all(getattr(account, field) == value for field, value in changes.items()):
        return account
    changed = store.update_account(account.id, **changes, updated=now)
    if changed is None:
        raise NotFoundError(f"account '{account_id}' not found")
    return changed


def get_account(store: AccountPorts, kind: AccountKind, account_id: str, *, by: Principal) -> Account:
    """A user or service account by id or name; the caller may always read its own."""
    account = store.get_account(account_id) or store.account_by_name(account_id)
    if account is None or account.kind != kind:
        raise NotFoundError(f"{'user' if kind == 'USER' else 'service account'} '{account_id}' not found")
    if account.id != by.id:
        require_instance(by, _resource(kind), Action.VIEW)
    return account


def list_accounts(store: AccountPorts, kind: AccountKind, *, by: Principal) -> list[Account]:
    require_instance(by, _resource(kind), Action.LIST)
    return store.list_accounts(kind)


def set_disabled(store: AccountPorts, kind: AccountKind, account_id: str, disabled: bool, *, by: Principal,
                 now: datetime) -> Account:
    """Disable (its sessions end, its tokens stop working) or enable an account."""
    account = get_account(store, kind, account_id, by=by)
    require_instance(by, _resource(kind), Action.UPDATE)
    if account.owner and not by.grants.owner:
        raise ForbiddenError("USER", "UPDATE", None, instance=True, hint=" (only an instance owner changes another)")
    changed = store.update_account(account.id, disabled=disabled, updated=now)
    assert changed is not None
    if disabled:
        store.delete_sessions(account.id)
    access.CACHE.clear()
    return changed


def set_password(store: AccountPorts, account_id: str, password: str, *, by: Principal, now: datetime,
                 current: str | None = None) -> None:
    """Set a user's password: its own (with the current one when it has one) or, with USER:UPDATE, anyone's.
    Ends the user's sessions and clears a lockout."""
    account = get_account(store, "USER", account_id, by=by)
    if account.id == by.id and not by.grants.allows_instance(Resource.USER, Action.UPDATE):
        if account.password_hash is not None and (current is None or not passwords.verify(account.password_hash, current)):
            raise AuthenticationError("the current password is wrong")
    else:
        require_instance(by, Resource.USER, Action.UPDATE)
    passwords.check_strength(password)
    store.update_account(account.id, password_hash=passwords.hash_password(password), failures=0,
                         failures_since=None, locked_until=None, updated=now)
    store.delete_sessions(account.id)


def delete_account(store: AccountPorts, kind: AccountKind, account_id: str, *, by: Principal) -> None:
    account = get_account(store, kind, account_id, by=by)
    require_instance(by, _resource(kind), Action.DELETE)
    if account.owner and not by.grants.owner:
        raise ForbiddenError("USER", "DELETE", None, instance=True)
    store.delete_account(account.id)
    USERS_EXIST.clear()
    access.CACHE.clear()


class _UsersExist:
    """Whether any user exists in a store (then the API requires credentials), re-read at most every `ttl`
    seconds; once true, it stays true for that store (removing every user does not reopen the API)."""

    def __init__(self, ttl: float = 2.0) -> None:
        self.ttl = ttl
        # by store (one process may serve several, tests do); weak, so a closed store's entry goes with it
        self._values: weakref.WeakKeyDictionary[AccountPorts, tuple[float, bool]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def known(self, store: AccountPorts) -> bool | None:
        """The cached answer, or None when it must be read (no database access: safe on an event loop)."""
        cached = self._values.get(store)
        if cached is not None and (cached[1] or cached[0] > time.monotonic()):
            return cached[1]
        return None

    def __call__(self, store: AccountPorts) -> bool:
        known = self.known(store)
        if known is not None:
            return known
        exists = store.count_accounts("USER") > 0
        with self._lock:
            self._values[store] = (time.monotonic() + self.ttl, exists)
        return exists

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


USERS_EXIST = _UsersExist()


def bootstrap_owner(store: AccountPorts, name: str, password: str, *, now: datetime) -> Account:
    """The first-run instance owner: allowed only while no user exists (ConflictError after that)."""
    if store.count_accounts("USER") > 0:
        raise ConflictError("users exist already; the instance owner is created only on the first run")
    return create_account(store, "USER", name, password=password, owner=True, by=SYSTEM, now=now)


# tokens ----------------------------------------------------------------------------------------------------
def _token_owner(store: AccountPorts, account_id: str, *, by: Principal, action: Action) -> Account:
    account = store.get_account(account_id) or store.account_by_name(account_id)
    if account is None:
        raise NotFoundError(f"user or service account '{account_id}' not found")
    if account.id != by.id:
        require_instance(by, _resource(account.kind), Action.UPDATE if action != Action.VIEW else Action.VIEW)
    return account


def create_token(store: AccountPorts, account_id: str, name: str, *, by: Principal, now: datetime,
                 max_age: timedelta | None = None, description: str = "") -> IssuedToken:
    """A new API token of an account (one's own, or any with USER/SERVICE_ACCOUNT:UPDATE)."""
    account = _token_owner(store, account_id, by=by, action=Action.CREATE)
    if max_age is not None and max_age <= timedelta(0):
        raise ValueError("a token's max age must be positive")
    new = tokens.new_token()
    token = ApiToken(new.id, account.id, name or "token", description, new.secret_hash, new.prefix, now,
                     now + max_age if max_age else None, None, None)
    store.create_token(token)
    return IssuedToken(token, new.text)


def list_tokens(store: AccountPorts, account_id: str, *, by: Principal) -> list[ApiToken]:
    account = _token_owner(store, account_id, by=by, action=Action.VIEW)
    return store.list_tokens(account.id)


def revoke_token(store: AccountPorts, account_id: str, token_id: str, *, by: Principal, now: datetime) -> None:
    account = _token_owner(store, account_id, by=by, action=Action.DELETE)
    token = store.get_token(token_id)
    if token is None or token.account_id != account.id:
        raise NotFoundError(f"token '{token_id}' not found")
    if not store.revoke_token(token_id, now):
        raise ConflictError(f"token '{token_id}' is revoked already")


# authentication --------------------------------------------------------------------------------------------
def principal_of(store: AccountPorts, account: Account, *, token_id: str | None = None, ip: str | None = None) -> Principal:
    """The principal of an authenticated account, with its (cached) grants."""
    kind: Kind = "user" if account.kind == "USER" else "service_account"
    return Principal(kind, account.name, id=account.id, grants=access.CACHE.get(store, account), token_id=token_id,
                     ip=ip)


def _usable(account: Account | None, now: datetime) -> Account:
    if account is None or account.disabled:
        raise AuthenticationError("invalid credentials")
    if account.locked_until is not None and account.locked_until > now:
        raise AuthenticationError("invalid credentials")
    return account


def authenticate_token(store: AccountPorts, text: str, *, now: datetime) -> tuple[Account, ApiToken]:
    """The account and token of a bearer token; AuthenticationError when unknown, revoked, expired or its
    account is disabled."""
    parts = tokens.split(text)
    token = store.get_token(parts[0]) if parts else None
    if parts is None or token is None or not tokens.matches(token.secret_hash, parts[1]):
        raise AuthenticationError("invalid API token")
    if not token.usable(now):
        raise AuthenticationError("the API token is revoked or expired")
    account = store.get_account(token.account_id)
    if account is None or account.disabled:
        raise AuthenticationError("invalid API token")
    if token.last_used is None or now - token.last_used >= TOUCH_EVERY:
        store.touch_token(token.id, now)
    return account, token


def authenticate_password(store: AccountPorts, name: str, password: str, *, now: datetime, policy: Policy) -> Account:
    """The user with this name and password. Each failure counts towards the lockout; a locked account is
    refused even with the right password, with the same message (nothing tells a guesser which it was)."""
    account = store.account_by_name(name)
    if account is None or account.kind != "USER" or account.password_hash is None:
        passwords.verify(passwords.DUMMY_HASH, password)  # same time as a wrong password
        raise AuthenticationError("invalid credentials")
    counter = Counter(account.failures, account.failures_since, account.locked_until)
    if counter.locked(now):
        raise AuthenticationError("invalid credentials")
    if not passwords.verify(account.password_hash, password):
        after = lockout.after_failure(counter, now, policy)
        store.update_account(account.id, failures=after.failures, failures_since=after.since,
                             locked_until=after.locked_until)
        raise AuthenticationError("invalid credentials")
    if account.failures or account.locked_until is not None:
        store.update_account(account.id, failures=0, failures_since=None, locked_until=None)
    if passwords.needs_rehash(account.password_hash):
        store.update_account(account.id, password_hash=passwords.hash_password(password))
    return _usable(account, now)


def sign_in(store: AccountPorts, name: str, password: str, *, now: datetime, policy: Policy,
            ttl: timedelta = SESSION_TTL) -> tuple[str, Session, Account]:
    """A new session: (the cookie's session id, the stored session with its CSRF token, the account)."""
    account = authenticate_password(store, name, password, now=now, policy=policy)
    return start_session(store, account, now=now, ttl=ttl)


def start_session(store: AccountPorts, account: Account, *, now: datetime, ttl: timedelta) -> tuple[str, Session, Account]:
    """A new session of an authenticated account (see `sign_in`)."""
    store.delete_sessions(expired_before=now)  # sign-ins sweep the sessions nobody signed out of
    session_id = tokens.new_secret()
    session = Session(tokens.digest(session_id), account.id, tokens.new_secret(), now, now + ttl)
    store.create_session(session)
    return session_id, session, account


def session_account(store: AccountPorts, session_id: str, *, now: datetime) -> tuple[Account, Session]:
    """The account of a live session; AuthenticationError when the session is unknown or expired."""
    session = store.get_session(tokens.digest(session_id), now)
    account = store.get_account(session.account_id) if session is not None else None
    if session is None or account is None or account.disabled:
        raise AuthenticationError("the session expired; sign in again")
    return account, session


def sign_out(store: AccountPorts, session_id: str) -> None:
    store.delete_session(tokens.digest(session_id))


def unlock(store: AccountPorts, account_id: str, *, by: Principal) -> Account:
    """Clear a user's lockout."""
    account = get_account(store, "USER", account_id, by=by)
    require_instance(by, Resource.USER, Action.UPDATE)
    changed = store.update_account(account.id, failures=0, failures_since=None, locked_until=None)
    assert changed is not None
    return changed
