"""`legato user ...` and `legato token ...`: users and service accounts, their passwords and API tokens, on the
server's database. The first user created is the instance owner (the first-run bootstrap)."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from legato.cli.store_option import Local, Remote, Target, database_options, server_options, store_url
from legato.clock import utcnow
from legato.identity import permissions
from legato.identity.records import Account, AccountKind
from legato.services.errors import AuthenticationError, ConflictError, ForbiddenError, NotFoundError

if TYPE_CHECKING:
    from legato.store.ports import Store

# The services and the store load in the local branches: a command with --server imports neither.


def with_database(command: Callable[..., Any]) -> Callable[..., Any]:
    """--data-dir/--database-url; the database is created and migrated when new (creating the first user may
    come before the first server start). A command with a `target` parameter instead of `store` also takes
    --server and --token and gets a `Remote` client of that server's API (tenant `main`: accounts are the
    instance's) when --server is given, else a `Local` store acting as the server itself."""
    wants_target = "target" in inspect.signature(command).parameters

    @database_options
    @wraps(command)
    def wrapper(*args: Any, data_dir: Path, database_url: str | None, **kwargs: Any) -> Any:
        if wants_target:
            server, token = kwargs.pop("server"), kwargs.pop("token")
            if server:
                from legato.remote import api_client

                with api_client(server, token) as client:
                    return command(*args, target=Remote(client), **kwargs)
        from legato.services.principal import SYSTEM
        from legato.store import open_store

        store = open_store(store_url(data_dir, database_url))
        try:
            store.migrate()
            with _refusals():
                if wants_target:
                    return command(*args, target=Local(store, SYSTEM), **kwargs)
                return command(*args, store=store, **kwargs)
        finally:
            store.close()

    return server_options(wrapper) if wants_target else wrapper


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except (NotFoundError, ConflictError, ForbiddenError, AuthenticationError, ValueError) as exc:
        _fail(str(exc))


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def _password(stdin: bool, prompt: str = "Password") -> str:
    from legato.identity import passwords

    if stdin:
        text = sys.stdin.readline().rstrip("\r\n")
    else:
        text = click.prompt(prompt, hide_input=True, confirmation_prompt=True)
    passwords.check_strength(text)
    return text


@click.group()
def user() -> None:
    """Create users and service accounts, set passwords, list, disable and enable them."""


REMOTE_NOTE = ("With --server (and --token of an account allowed to manage users) it acts through that server's "
               "API, on its accounts.")


@user.command("create", epilog="With --server it acts through that server's API, as the --token's account allows "
              "(USER:CREATE; --owner needs an owner); the first instance owner, made before any account exists, is "
              "created on the data dir only (`legato user create NAME --data-dir ...`).")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.option("--no-password", is_flag=True, help="No password: the account signs in with API tokens only.")
@click.option("--service-account", is_flag=True, help="Create a service account (API tokens only).")
@click.option("--owner", is_flag=True, help="Make it an instance owner (the first user always is).")
@click.option("--role", type=click.Choice(sorted(permissions.MANAGED)), help="Bind this managed role to it.")
@click.option("--namespace", help="Bind --role on this namespace and its children only (default: instance).")
@with_database
def create(target: Target, name: str, password_stdin: bool, no_password: bool, service_account: bool, owner: bool,
           role: str | None, namespace: str | None) -> None:
    """Create user NAME (prompting for its password). With no user yet, it becomes the instance owner."""
    kind: AccountKind = "SERVICE_ACCOUNT" if service_account else "USER"
    if isinstance(target, Remote):
        if service_account and owner:
            raise click.UsageError("--owner: a service account is never made an owner through the API")
        secret = None if (no_password or service_account) else _password(password_stdin)
        if service_account:
            made = target.call("POST", "/service-accounts", json={"name": name}).json()
        else:
            made = target.call("POST", "/users", json={"username": name, "password": secret, "owner": owner}).json()
        account_id, account_name, is_owner = made["id"], made["username"], made["owner"]
        if role is not None:
            target.call("POST", "/bindings", json={"roleId": role, "type": kind, "externalId": account_id,
                                                   "namespace": namespace})
    else:
        from legato.services import access, identity

        store = target.store
        first = store.count_accounts("USER") == 0 and not service_account
        secret = None if (no_password or service_account) else _password(password_stdin)
        now = utcnow()
        account = identity.create_account(store, kind, name, password=secret, owner=owner or first, by=target.by,
                                          now=now)
        if role is not None:
            access.create_binding(store, role, kind, account.id, namespace, by=target.by, now=now)
        account_id, account_name, is_owner = account.id, account.name, account.owner
    what = "service account" if service_account else ("instance owner" if is_owner else "user")
    bound = f", role {role}" + (f" on {namespace}" if namespace else "") if role else ""
    click.echo(f"created {what} {account_name} ({account_id}){bound}")


@user.command("passwd", epilog=REMOTE_NOTE)
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the new password from the first line of stdin.")
@with_database
def passwd(target: Target, name: str, password_stdin: bool) -> None:
    """Set the password of user NAME (ends its sessions and clears a lockout)."""
    if isinstance(target, Remote):
        found = target.call("GET", f"/users/{name}").json()
        target.call("PUT", f"/users/{found['id']}/password",
                    json={"password": _password(password_stdin, "New password")})
        click.echo(f"password of {found['username']} changed")
        return
    from legato.services import identity

    account = identity.get_account(target.store, "USER", name, by=target.by)
    identity.set_password(target.store, account.id, _password(password_stdin, "New password"), by=target.by,
                          now=utcnow())
    click.echo(f"password of {account.name} changed")


@user.command("list", epilog=REMOTE_NOTE + " A locked user's STATE is then `locked` (the API does not say until "
              "when).")
@with_database
def list_(target: Target) -> None:
    """Users and service accounts with their state."""
    rows = [("NAME", "TYPE", "OWNER", "STATE", "ID")]
    if isinstance(target, Remote):
        for a in _remote_accounts(target):
            state = "disabled" if a["disabled"] else ("locked" if a["locked"] else "active")
            rows.append((a["username"], a["type"], "yes" if a["owner"] else "", state, a["id"]))
    else:
        now = utcnow()
        rows += [(a.name, a.kind, "yes" if a.owner else "", _state(a, now), a.id)
                 for a in target.store.list_accounts()]
    _table(rows)


def _table(rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _state(account: Account, now: datetime) -> str:
    if account.disabled:
        return "disabled"
    if account.locked_until is not None and account.locked_until > now:
        return f"locked until {account.locked_until:%Y-%m-%d %H:%M:%S}"
    return "active"


def _find(store: Store, name: str) -> Account:
    account = store.account_by_name(name) or store.get_account(name)
    if account is None:
        raise NotFoundError(f"no user or service account named '{name}'")
    return account


def _remote_accounts(target: Remote) -> list[dict[str, Any]]:
    """The server's users and service accounts by name, as the data dir lists them."""
    found = target.call("GET", "/users").json() + target.call("GET", "/service-accounts").json()
    return sorted(found, key=lambda a: a["username"])


def _remote_find(target: Remote, name: str) -> tuple[str, dict[str, Any]]:
    """The API path of user or service account NAME (or id) and the account."""
    for account in _remote_accounts(target):
        if name in (account["username"], account["id"]):
            base = "/users" if account["type"] == "USER" else "/service-accounts"
            return f"{base}/{account['id']}", account
    _fail(f"no user or service account named '{name}'")


@user.command("disable", epilog=REMOTE_NOTE)
@click.argument("name")
@with_database
def disable(target: Target, name: str) -> None:
    """Disable NAME: its sessions end and its API tokens stop working."""
    click.echo(f"disabled {_set_disabled(target, name, True)}")


@user.command("enable", epilog=REMOTE_NOTE)
@click.argument("name")
@with_database
def enable(target: Target, name: str) -> None:
    """Enable NAME again (and clear a lockout)."""
    click.echo(f"enabled {_set_disabled(target, name, False)}")


def _set_disabled(target: Target, name: str, disabled: bool) -> str:
    """Disable or enable NAME (enabling a user clears its lockout too); its name."""
    if isinstance(target, Remote):
        path, found = _remote_find(target, name)
        target.call("PUT", path, json={"disabled": disabled})
        return str(found["username"])
    from legato.services import identity

    account = _find(target.store, name)
    identity.set_disabled(target.store, account.kind, account.id, disabled, by=target.by, now=utcnow())
    if not disabled and account.kind == "USER":
        identity.unlock(target.store, account.id, by=target.by)
    return account.name


@click.group()
def token() -> None:
    """Create, list and revoke API tokens (sent as `Authorization: Bearer <token>`)."""


@token.command("create", epilog=REMOTE_NOTE)
@click.argument("name")
@click.option("--token-name", default="cli", show_default=True, help="A name to tell the token apart.")
@click.option("--max-age", help="ISO-8601 duration after which it expires (P30D, PT12H); default: never.")
@with_database
def token_create(target: Target, name: str, token_name: str, max_age: str | None) -> None:
    """Create an API token for user or service account NAME and print it (shown this once)."""
    if isinstance(target, Remote):
        path, found = _remote_find(target, name)
        issued = target.call("POST", f"{path}/api-tokens", json={"name": token_name, "maxAge": max_age}).json()
        text, token_id, account_name = issued["fullToken"], issued["tokenId"], found["username"]
    else:
        from legato.model.durations import parse_duration
        from legato.services import identity

        account = _find(target.store, name)
        made = identity.create_token(target.store, account.id, token_name, by=target.by, now=utcnow(),
                                     max_age=parse_duration(max_age) if max_age else None)
        text, token_id, account_name = made.text, made.token.id, account.name
    click.echo(text)
    click.echo(f"token {token_id} of {account_name}: store it now, it is not shown again", err=True)


@token.command("list", epilog=REMOTE_NOTE)
@click.argument("name")
@with_database
def token_list(target: Target, name: str) -> None:
    """The API tokens of NAME (never their secrets)."""
    rows = [("ID", "NAME", "CREATED", "EXPIRES", "LAST USED", "STATE")]
    if isinstance(target, Remote):
        path, _ = _remote_find(target, name)
        for t in target.call("GET", f"{path}/api-tokens").json():
            state = "revoked" if t["revoked"] else ("expired" if t["expired"] else "active")
            rows.append((t["tokenId"], t["name"], _date(_when(t["iat"])), _date(_when(t["exp"])),
                         _date(_when(t["lastUsed"])), state))
    else:
        from legato.services import identity

        account = _find(target.store, name)
        now = utcnow()
        for t in identity.list_tokens(target.store, account.id, by=target.by):
            state = "revoked" if t.revoked_at else ("expired" if not t.usable(now) else "active")
            rows.append((t.id, t.name, _date(t.created), _date(t.expires_at), _date(t.last_used), state))
    _table(rows)


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _date(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}" if value else "-"


@token.command("revoke", epilog=REMOTE_NOTE)
@click.argument("token_id")
@with_database
def token_revoke(target: Target, token_id: str) -> None:
    """Revoke API token TOKEN_ID: it stops working at once."""
    if isinstance(target, Remote):
        for account in _remote_accounts(target):
            base = "/users" if account["type"] == "USER" else "/service-accounts"
            path = f"{base}/{account['id']}/api-tokens"
            if any(t["tokenId"] == token_id for t in target.call("GET", path).json()):
                target.call("DELETE", f"{path}/{token_id}")
                break
        else:
            _fail(f"token '{token_id}' not found")
    else:
        from legato.services import identity

        found = target.store.get_token(token_id)
        if found is None:
            raise NotFoundError(f"token '{token_id}' not found")
        identity.revoke_token(target.store, found.account_id, token_id, by=target.by, now=utcnow())
    click.echo(f"revoked token {token_id}")
