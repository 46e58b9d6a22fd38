"""`legato deploy DIR`: flows, test suites, namespace files, apps and dashboards from a directory (Kestra's layout or
a flat folder) to this machine's Legato or a remote one, one namespace at a time; `--plan` only shows the changes."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from legato.clock import utcnow
from legato.deploy import layout, plan
from legato.deploy.targets import DeployError, LocalTarget, RemoteTarget
from legato.model.errors import FlowValidationError


@click.command("deploy")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--namespace", default=None, help="Everything must be in this namespace or under it; with --delete, "
                                                 "what its namespaces hold beyond the directory is deleted.")
@click.option("--plan", "plan_only", is_flag=True, help="Print what would be created, updated and deleted "
                                                        "(with diffs) and change nothing.")
@click.option("--delete", is_flag=True, help="Delete the flows, suites and files of the deployed namespaces that "
                                             "the directory does not have (and the dashboards, when it has a "
                                             "_global/dashboards folder).")
@click.option("--test", "run_tests", is_flag=True, help="Run the test suites first (as `legato test`); deploy "
                                                        "nothing if one fails.")
@click.option("--no-diff", is_flag=True, help="List the changes without their diffs.")
@click.option("--server", default=None, envvar="LEGATO_SERVER", help="A remote Legato's URL: deploy through its API.")
@click.option("--token", default=None, envvar="LEGATO_TOKEN", help="API token for --server (`user:password` for "
                                                                   "basic auth).")
@click.option("--tenant", default="main", show_default=True, help="Tenant of --server.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=Path(".legato"),
              show_default=True, help="Data directory of the local Legato (without --server).")
@click.option("--database-url", envvar="LEGATO_DATABASE_URL", default=None,
              help="The local Legato's database instead (e.g. postgresql://user@host/db).")
def deploy(paths: tuple[Path, ...], namespace: str | None, plan_only: bool, delete: bool, run_tests: bool,
           no_diff: bool, server: str | None, token: str | None, tenant: str, data_dir: Path,
           database_url: str | None) -> None:
    """Deploy the flows, test suites, namespace files and apps under PATHS, and the dashboards of `_global/dashboards/`.
    Each namespace is applied all or nothing: its files, then its flows, suites and apps in one transaction (on a
    remote server, the whole namespace in one request, applied by the server in one transaction)."""
    started = time.perf_counter()
    try:
        repo = layout.read(list(paths), namespace=namespace, lazy=not run_tests)
    except FlowValidationError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    if run_tests and repo.suites:
        from legato.cli import test_cmd

        if test_cmd.run_and_report(repo) != 0:
            click.echo("tests failed: nothing deployed", err=True)
            sys.exit(1)
    try:
        if server:
            remote = RemoteTarget(server, token, tenant=tenant)
            try:
                _deploy(repo, remote, namespace, plan_only, delete, no_diff)
            finally:
                remote.close()
        else:
            _local(repo, namespace, plan_only, delete, no_diff, data_dir, database_url)
    except (DeployError, FlowValidationError, ValueError) as exc:
        click.echo(f"deploy failed: {exc}", err=True)
        sys.exit(1)
    click.echo(f"({time.perf_counter() - started:.2f}s)")


def _local(repo: layout.Repository, namespace: str | None, plan_only: bool, delete: bool, no_diff: bool,
           data_dir: Path, database_url: str | None) -> None:
    from legato import config
    from legato.server.compose import storage_for
    from legato.services.principal import SYSTEM
    from legato.store import open_store

    store = open_store(database_url or config.sqlite_url(data_dir))
    try:
        store.migrate()
        target = LocalTarget(store, storage_for(data_dir.resolve()), by=SYSTEM, clock=utcnow)
        _deploy(repo, target, namespace, plan_only, delete, no_diff)
    finally:
        store.close()


def _deploy(repo: layout.Repository, target: LocalTarget | RemoteTarget, namespace: str | None, plan_only: bool,
            delete: bool, no_diff: bool) -> None:
    made = plan.make(repo, target, delete=delete, namespace=namespace)
    click.echo(made.render(diffs=not no_diff))
    if plan_only:
        return
    for ns in made.namespaces:
        pending = ns.pending()
        if not pending:
            continue
        try:
            target.apply(ns)
        except (DeployError, FlowValidationError, ValueError) as exc:
            raise DeployError(f"namespace {ns.namespace}: {exc} (namespaces listed before it were deployed)") from None
        click.echo(f"deployed namespace {ns.namespace}: {len(pending)} change{'s' if len(pending) != 1 else ''}")
    dashboards = [c for c in made.dashboards if c.action != "unchanged"]
    if dashboards:
        try:
            target.apply_dashboards(dashboards)
        except (DeployError, FlowValidationError, ValueError) as exc:
            raise DeployError(f"dashboards: {exc} (the namespaces above were deployed)") from None
        click.echo(f"deployed dashboards: {len(dashboards)} change{'s' if len(dashboards) != 1 else ''}")
