"""`legato sys ...`: operations on the configured database (migrate, list servers, purge old history, back up and restore)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from legato.cli.store_option import config_option
from legato.clock import utcnow

# The configuration, the store and the server's modules load when a command runs: `legato sys --help` needs none.


@click.group("sys")
def sys_group() -> None:
    """Operate the configured database: migrations, server registry, retention, backups.

    These work on the database (and storage) themselves, from a host that reaches them: --server does not apply."""


@sys_group.command("migrate")
@config_option
def migrate(config_file: Path | None) -> None:
    """Bring the database schema to the newest version, and nothing else."""
    from legato.cli.roles_cmd import open_configured
    from legato.cli.server_cmd import settings_from

    store = open_configured(settings_from(config_file))
    store.close()
    click.echo("database schema is up to date")


@sys_group.command("servers")
@config_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per server instead of a table.")
def servers(config_file: Path | None, as_json: bool) -> None:
    """List server processes with their roles and state (RUNNING, DEAD after missed heartbeats, STOPPED)."""
    from legato.cli.roles_cmd import open_configured
    from legato.cli.server_cmd import settings_from
    from legato.server.presence import server_state

    settings = settings_from(config_file)
    store = open_configured(settings)
    try:
        records = store.list_servers()
    finally:
        store.close()
    now = utcnow()
    rows: list[dict[str, Any]] = [{
        "id": r.id, "roles": list(r.roles), "host": r.host, "pid": r.pid,
        "groups": [g or "-" for g in r.worker_groups], "slots": r.slots,
        "state": server_state(r, now, settings.dead_after_seconds),
        "started": r.started.isoformat(), "heartbeat": r.heartbeat_at.isoformat(),
    } for r in records]
    if as_json:
        for row in rows:
            click.echo(json.dumps(row))
        return
    click.echo(f"{'ID':<40} {'ROLES':<34} {'STATE':<8} {'GROUPS':<12} {'LAST HEARTBEAT'}")
    for row in rows:
        click.echo(f"{row['id']:<40} {','.join(row['roles']):<34} {row['state']:<8} "
                   f"{','.join(row['groups']) or '':<12} {row['heartbeat']}")


def _duration(_ctx: click.Context, _param: click.Parameter, value: str | None) -> object:
    if value is None:
        return None
    from legato.model.durations import parse_duration

    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@sys_group.command("purge")
@config_option
@click.option("--executions-older-than", "executions", callback=_duration, metavar="DURATION",
              help="Delete executions finished longer ago than this (ISO-8601, e.g. P30D); "
                   "default: retention.executions.")
@click.option("--logs-older-than", "logs", callback=_duration, metavar="DURATION",
              help="Delete logs of executions finished longer ago than this; default: retention.logs.")
@click.option("--audit-logs-older-than", "audit_logs", callback=_duration, metavar="DURATION",
              help="Delete audit log entries older than this; default: retention.audit_logs.")
@click.option("--batch", type=click.IntRange(1, 100_000), default=None, help="Executions per transaction.")
def purge(config_file: Path | None, executions: object, logs: object, audit_logs: object, batch: int | None) -> None:
    """Delete finished executions, their task runs and logs older than the retention periods, in batches."""
    from legato.cli.roles_cmd import open_configured
    from legato.cli.server_cmd import settings_from
    from legato.executor.retention import Retention
    from legato.model.durations import format_duration

    settings = settings_from(config_file)
    policy = settings.retention
    store = open_configured(settings)
    try:
        retention = Retention(store, utcnow, executions=executions or policy.executions,  # type: ignore[arg-type]
                              logs=logs or policy.logs, batch=batch or policy.batch,  # type: ignore[arg-type]
                              audit_logs=audit_logs or policy.audit_logs)  # type: ignore[arg-type]
        done = retention.purge()
    finally:
        store.close()
    kept = retention.executions and format_duration(retention.executions)
    click.echo(f"purged {done.executions} executions, {done.task_runs} task runs, {done.logs} log lines and "
               f"{done.audit_logs} audit log entries"
               + (f" (executions finished more than {kept} ago)" if kept else ""))


def _store_and_storage(config_file: Path | None, data_dir: Path | None, *, migrate: bool) -> tuple[Any, Any]:
    from legato.cli.roles_cmd import open_configured
    from legato.cli.server_cmd import settings_from
    from legato.server.compose import storage_for

    settings = settings_from(config_file, **({"data_dir": data_dir} if data_dir is not None else {}))
    if not migrate and settings.database_url is None and not (settings.data_dir / "legato.db").exists():
        raise click.UsageError(f"no Legato database in {settings.data_dir} (set --data-dir, LEGATO_DATA_DIR or "
                               "LEGATO_DATABASE_URL)")
    return open_configured(settings, migrate=migrate), storage_for(settings.data_dir.resolve())


def _data_dir_option(command: Any) -> Any:
    return click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help="Data directory (SQLite database and internal storage unless configured otherwise; "
                             "env LEGATO_DATA_DIR).")(command)


@sys_group.command("backup")
@config_option
@_data_dir_option
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(config_file: Path | None, data_dir: Path | None, dest: Path) -> None:
    """Write the database's rows (one consistent snapshot, safe while servers run) and the internal storage's
    files to the archive DEST (.tar.gz) with a manifest of versions, counts and checksums."""
    from legato.server import backup

    store, storage = _store_and_storage(config_file, data_dir, migrate=False)
    try:
        manifest = backup.backup(store, storage, dest)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot write {dest}: {exc.strerror or exc}") from None
    finally:
        store.close()
    rows = sum(t["rows"] for t in manifest["tables"].values())
    click.echo(f"backed up {rows} rows of {len(manifest['tables'])} tables and {len(manifest['files'])} files "
               f"(schema {manifest['revision']}, Legato {manifest['legatoVersion']}) to {dest}")


@sys_group.command("restore")
@config_option
@_data_dir_option
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Delete every row and storage file the target holds first.")
def restore_command(config_file: Path | None, data_dir: Path | None, src: Path, force: bool) -> None:
    """Load the archive SRC (from `legato sys backup`, of this or an older version, from SQLite or PostgreSQL)
    into the configured database, migrated to this version's schema, and internal storage. Stop every server
    of the installation first."""
    from legato.server import backup

    store, storage = _store_and_storage(config_file, data_dir, migrate=True)
    try:
        manifest = backup.restore(store, storage, src, force=force)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot restore {src}: {exc.strerror or exc}") from None
    finally:
        store.close()
    rows = sum(t["rows"] for t in manifest["tables"].values())
    click.echo(f"restored {rows} rows of {len(manifest['tables'])} tables and {len(manifest['files'])} files "
               f"(backup of {manifest['created']}, schema {manifest['revision']})")
