"""`legato user ...` and `legato token ...`: users and service accounts, their passwords and API tokens, on the
server's database. The first user created is the instance owner (the first-run bootstrap)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn

import click

from legato.cli.store_option import database_options, store_url
from legato.clock import utcnow
from legato.identity import passwords, permissions
from legato.identity.records import Account, AccountKind
from legato.model.durations import parse_duration
from legato.services import access, identity
from legato.services.errors import AuthenticationError, ConflictError, ForbiddenError, NotFoundError
from legato.services.principal import SYSTEM
from legato.store import open_store
from legato.store.ports import Store


def with_database(command: Callable[..., Any]) -> Callable[..., Any]:
    """--data-dir/--database-url; the database is created and migrated when new (creating the first user may
    come before the first server start)."""

    @database_options
    @wraps(command)
    def wrapper(*args: Any, data_dir: Path, database_url: str | None, **kwargs: Any) -> Any:
        store = open_store(store_url(data_dir, database_url))
        try:
            store.migrate()
            with _refusals():
                return command(*args, store=store, **kwargs)
        finally:
            store.close()

    return wrapper


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
    if stdin:
        text = sys.stdin.readline().rstrip("\r\n")
    else:
        text = click.prompt(prompt, hide_input=True, confirmation_prompt=True)
    passwords.check_strength(text)
    return text


@click.group()
def user() -> None:
    """Create users and service accounts, set passwords, list, disable and enable them."""


@user.command("create")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.option("--no-password", is_flag=True, help="No password: the account signs in with API tokens only.")
@click.option("--service-account", is_flag=True, help="Create a service account (API tokens only).")
@click.option("--owner", is_flag=True, help="Make it an instance owner (the first user always is).")
@click.option("--role", type=click.Choice(sorted(permissions.MANAGED)), help="Bind this managed role to it.")
@click.option("--namespace", help="Bind --role on this namespace and its children only (default: instance).")
@with_database
def create(store: Store, name: str, password_stdin: bool, no_password: bool, service_account: bool, owner: bool,
           role: str | None, namespace: str | None) -> None:
    """Create user NAME (prompting for its password). With no user yet, it becomes the instance owner."""
    first = store.count_accounts("USER") == 0 and not service_account
    secret = None if (no_password or service_account) else _password(password_stdin)
    now = utcnow()
    kind: AccountKind = "SERVICE_ACCOUNT" if service_account else "USER"
    account = identity.create_account(store, kind, name, password=secret, owner=owner or first, by=SYSTEM,
                                      now=now)
    if role is not None:
        access.create_binding(store, role, kind, account.id, namespace, by=SYSTEM, now=now)
    what = "service account" if service_account else ("instance owner" if account.owner else "user")
    bound = f", role {role}" + (f" on {namespace}" if namespace else "") if role else ""
    click.echo(f"created {what} {account.name} ({account.id}){bound}")


@user.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the new password from the first line of stdin.")
@with_database
def passwd(store: Store, name: str, password_stdin: bool) -> None:
    """Set the password of user NAME (ends its sessions and clears a lockout)."""
    account = identity.get_account(store, "USER", name, by=SYSTEM)
    identity.set_password(store, account.id, _password(password_stdin, "New password"), by=SYSTEM, now=utcnow())
    click.echo(f"password of {account.name} changed")


@user.command("list")
@with_database
def list_(store: Store) -> None:
    """Users and service accounts with their state."""
    now = utcnow()
    rows = [("NAME", "TYPE", "OWNER", "STATE", "ID")]
    rows += [(a.name, a.kind, "yes" if a.owner else "", _state(a, now), a.id) for a in store.list_accounts()]
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


@user.command("disable")
@click.argument("name")
@with_database
def disable(store: Store, name: str) -> None:
    """Disable NAME: its sessions end and its API tokens stop working."""
    account = _find(store, name)
    identity.set_disabled(store, account.kind, account.id, True, by=SYSTEM, now=utcnow())
    click.echo(f"disabled {account.name}")


@user.command("enable")
@click.argument("name")
@with_database
def enable(store: Store, name: str) -> None:
    """Enable NAME again (and clear a lockout)."""
    account = _find(store, name)
    identity.set_disabled(store, account.kind, account.id, False, by=SYSTEM, now=utcnow())
    if account.kind == "USER":
        identity.unlock(store, account.id, by=SYSTEM)
    click.echo(f"enabled {account.name}")


@click.group()
def token() -> None:
    """Create, list and revoke API tokens (sent as `Authorization: Bearer <token>`)."""


@token.command("create")
@click.argument("name")
@click.option("--token-name", default="cli", show_default=True, help="A name to tell the token apart.")
@click.option("--max-age", help="ISO-8601 duration after which it expires (P30D, PT12H); default: never.")
@with_database
def token_create(store: Store, name: str, token_name: str, max_age: str | None) -> None:
    """Create an API token for user or service account NAME and print it (shown this once)."""
    account = _find(store, name)
    issued = identity.create_token(store, account.id, token_name, by=SYSTEM, now=utcnow(),
                                   max_age=parse_duration(max_age) if max_age else None)
    click.echo(issued.text)
    click.echo(f"token {issued.token.id} of {account.name}: store it now, it is not shown again", err=True)


@token.command("list")
@click.argument("name")
@with_database
def token_list(store: Store, name: str) -> None:
    """The API tokens of NAME (never their secrets)."""
    account = _find(store, name)
    now = utcnow()
    rows = [("ID", "NAME", "CREATED", "EXPIRES", "LAST USED", "STATE")]
    for t in identity.list_tokens(store, account.id, by=SYSTEM):
        state = "revoked" if t.revoked_at else ("expired" if not t.usable(now) else "active")
        rows.append((t.id, t.name, _date(t.created), _date(t.expires_at), _date(t.last_used), state))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _date(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}" if value else "-"


@token.command("revoke")
@click.argument("token_id")
@with_database
def token_revoke(store: Store, token_id: str) -> None:
    """Revoke API token TOKEN_ID: it stops working at once."""
    found = store.get_token(token_id)
    if found is None:
        raise NotFoundError(f"token '{token_id}' not found")
    identity.revoke_token(store, found.account_id, token_id, by=SYSTEM, now=utcnow())
    click.echo(f"revoked token {token_id}")
