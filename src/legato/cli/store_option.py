"""Where a CLI command acts: the local server's SQLite under --data-dir (or --database-url), or, for a command that
also takes --server, a running Legato through its REST API."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import click

if TYPE_CHECKING:
    import httpx

    from legato.services.principal import Principal
    from legato.store.ports import Store

# The configuration and the store (SQLAlchemy) are imported when a command runs, not when it is declared: a group
# declaring such commands (`legato flow`) also has `flow validate`, which needs neither.


@dataclass(frozen=True)
class Local:
    """A command acting on a database: the opened store and the server's own principal in --tenant."""

    store: Store
    by: Principal


@dataclass(frozen=True)
class Remote:
    """A command acting through a running server's API (--server, --token), in --tenant."""

    client: httpx.Client

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The server's answer; its error, with what the server said, ends the command (exit 1)."""
        return api(self.client, method, path, **kwargs)

    def results(self, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every item of a paged search (`results`, `total`), fetched a thousand at a time."""
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            body = self.call("GET", path, params={**(params or {}), "page": page, "size": 1000}).json()
            found += body["results"]
            if not body["results"] or len(found) >= body["total"]:
                return found
            page += 1


Target = Local | Remote


def store_url(data_dir: Path, database_url: str | None) -> str:
    from legato import config

    return database_url or config.sqlite_url(data_dir)


def config_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--config FILE (else $LEGATO_CONFIG): the YAML configuration file (of the commands on the configured
    database: `server ...`, `sys ...`)."""
    return click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
                        help="YAML configuration file (env LEGATO_CONFIG); LEGATO_* variables override it.")(command)


def database_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--data-dir and --database-url: which database a command opens (see `store_url`)."""
    with_data_dir = click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
                                 default=Path(".legato"), show_default=True,
                                 help="Data directory of `legato server local`.")
    with_url = click.option("--database-url", envvar="LEGATO_DATABASE_URL", default=None,
                            help="Database of the server instead (e.g. postgresql://user@host/db).")
    return with_data_dir(with_url(command))


@overload
def with_store(command: Callable[..., Any]) -> Callable[..., Any]: ...


@overload
def with_store(command: None = None, *, tenanted: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]: ...


def with_store(command: Callable[..., Any] | None = None, *, tenanted: bool = True) -> Any:
    """Add --data-dir/--database-url and pass an opened `store` to the command (the server that made the
    database migrated it; commands do not pay for a migration check on every call); a command with a
    `data_dir` parameter gets the data directory too, and one with a `by` parameter gets --tenant and the server's
    own principal acting in that tenant (it must exist).

    A command with a `target` parameter instead of `store` and `by` also takes --tenant, --server and --token: it
    gets a `Remote` client of that server's API for the tenant when --server is given, else a `Local` store and
    principal; the same command reads or changes a server's state either way.

    `@with_store(tenanted=False)`: a command on the instance itself (tenants): no --tenant; its `Remote` client's
    base is the instance API (`<server>/api/v1`, outside any tenant) and its `Local` principal the server's own."""
    if command is None:
        return lambda decorated: with_store(decorated, tenanted=tenanted)
    parameters = inspect.signature(command).parameters
    wants_data_dir, wants_target = "data_dir" in parameters, "target" in parameters
    wants_by = (wants_target and tenanted) or "by" in parameters
    assert not (wants_target and ("store" in parameters or "by" in parameters)), "`target` replaces `store` and `by`"

    @database_options
    @wraps(command)
    def wrapper(*args: Any, data_dir: Path, database_url: str | None, **kwargs: Any) -> Any:
        if wants_data_dir:
            kwargs["data_dir"] = data_dir
        if wants_target:
            server, token = kwargs.pop("server"), kwargs.pop("token")
            if server:
                from legato.remote import api_client

                with api_client(server, token, tenant=kwargs.pop("tenant") if tenanted else None) as client:
                    return command(*args, target=Remote(client), **kwargs)
        if database_url is None and not (data_dir / "legato.db").exists():
            hint = " (or give --server)" if wants_target else ""
            raise click.UsageError(f"no Legato data in {data_dir}; start `legato server local` there first{hint}")
        from legato.store import open_store

        store: Store = open_store(store_url(data_dir, database_url))
        try:
            if wants_target:
                from legato.services.principal import SYSTEM

                by = _acting(store, kwargs.pop("tenant")) if tenanted else SYSTEM
                return command(*args, target=Local(store, by), **kwargs)
            if wants_by:
                kwargs["by"] = _acting(store, kwargs.pop("tenant"))
            return command(*args, store=store, **kwargs)
        finally:
            store.close()

    if wants_by:
        wrapper = click.option("--tenant", envvar="LEGATO_TENANT", default="main", show_default=True,
                               help="Tenant to act in (`legato tenant list` shows them).")(wrapper)
    return server_options(wrapper) if wants_target else wrapper


def server_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--server URL and --token (LEGATO_SERVER, LEGATO_TOKEN): act through a running Legato's API."""
    command = click.option("--token", envvar="LEGATO_TOKEN", default=None,
                           help="API token for --server (`user:password` for basic authentication).")(command)
    return click.option("--server", envvar="LEGATO_SERVER", default=None,
                        help="A running Legato's URL: act through its API instead of a local data dir.")(command)


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
