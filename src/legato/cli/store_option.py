"""The store a CLI command works on: the local server's SQLite under --data-dir, or --database-url."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    import httpx

    from legato.services.principal import Principal
    from legato.store.ports import Store

# The configuration and the store (SQLAlchemy) are imported when a command runs, not when it is declared: a group
# declaring such commands (`legato flow`) also has `flow validate`, which needs neither.


def store_url(data_dir: Path, database_url: str | None) -> str:
    from legato import config

    return database_url or config.sqlite_url(data_dir)


def database_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--data-dir and --database-url: which database a command opens (see `store_url`)."""
    with_data_dir = click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
                                 default=Path(".legato"), show_default=True,
                                 help="Data directory of `legato server local`.")
    with_url = click.option("--database-url", envvar="LEGATO_DATABASE_URL", default=None,
                            help="Database of the server instead (e.g. postgresql://user@host/db).")
    return with_data_dir(with_url(command))


def with_store(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add --data-dir/--database-url and pass an opened `store` to the command (the server that made the
    database migrated it; commands do not pay for a migration check on every call); a command with a
    `data_dir` parameter gets the data directory too, and one with a `by` parameter gets --tenant and the server's
    own principal acting in that tenant (it must exist). A command with a `remote` parameter also takes --server
    and --token: then it gets `remote`, a client of that server's API for the tenant, and no store (`store` and
    `by` are None); else `remote` is None."""

    parameters = inspect.signature(command).parameters
    wants_data_dir, wants_by, wants_remote = "data_dir" in parameters, "by" in parameters, "remote" in parameters
    assert wants_by or not wants_remote, "a command with `remote` takes `by` too (its --tenant)"

    @database_options
    @wraps(command)
    def wrapper(*args: Any, data_dir: Path, database_url: str | None, **kwargs: Any) -> Any:
        if wants_remote:
            server, token = kwargs.pop("server"), kwargs.pop("token")
            if server:
                from legato.remote import api_client

                with api_client(server, token, tenant=kwargs.pop("tenant")) as client:
                    return command(*args, store=None, by=None, remote=client, **kwargs)
            kwargs["remote"] = None
        if database_url is None and not (data_dir / "legato.db").exists():
            hint = " (or give --server)" if wants_remote else ""
            raise click.UsageError(f"no Legato data in {data_dir}; start `legato server local` there first{hint}")
        from legato.store import open_store

        store: Store = open_store(store_url(data_dir, database_url))
        if wants_data_dir:
            kwargs["data_dir"] = data_dir
        try:
            if wants_by:
                kwargs["by"] = _acting(store, kwargs.pop("tenant"))
            return command(*args, store=store, **kwargs)
        finally:
            store.close()

    if wants_by:
        wrapper = click.option("--tenant", envvar="LEGATO_TENANT", default="main", show_default=True,
                               help="Tenant to act in (`legato tenant list` shows them).")(wrapper)
    if wants_remote:
        wrapper = click.option("--token", envvar="LEGATO_TOKEN", default=None,
                               help="API token for --server (`user:password` for basic authentication).")(wrapper)
        wrapper = click.option("--server", envvar="LEGATO_SERVER", default=None,
                               help="A running Legato's URL: act through its API instead of a local data dir.")(wrapper)
    return wrapper


def api(remote: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """A call of the remote server's API; its error, with what the server said, ends the command (exit 1)."""
    from legato.remote import call

    return call(remote, method, path, click.ClickException, **kwargs)


def _acting(store: Store, tenant: str) -> Principal:
    from legato.services.principal import SYSTEM, in_tenant
    from legato.store.ports.tenants import MAIN

    if tenant != MAIN and store.get_tenant(tenant) is None:
        raise click.UsageError(f"no tenant '{tenant}' (`legato tenant list` shows them)")
    return in_tenant(SYSTEM, tenant)
