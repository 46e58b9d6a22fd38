"""Apps, for the API, the CLI and deploy: create, replace, read, list and delete their YAML. Writes are audited;
every function checks the acting principal's APP permission on the app's namespace. What a visitor of an app's
page does (submit, resume, cancel, read its results) is in legato.services.app_runtime."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Protocol

from legato.apps import App, parse_app
from legato.identity.permissions import Action, Resource
from legato.model.errors import FlowValidationError, Problem
from legato.services import audit
from legato.services.errors import ConflictError, NotFoundError
from legato.services.principal import Principal, require, visible
from legato.store.ports import MAIN, AppRecord, AppStore, AuditEntry, AuditLog


class AppPorts(AppStore, AuditLog, Protocol):
    """What the app services use: the apps, and the audit log."""


@dataclass(frozen=True)
class Saved:
    record: AppRecord
    app: App
    created: bool


def validate(source: str) -> App:
    """The app of `source` (FlowValidationError with the line and path of each problem)."""
    return parse_app(source)


def create(store: AppPorts, source: str, *, by: Principal, now: datetime) -> Saved:
    """Store a new app; ConflictError when its id is taken."""
    app = parse_app(source)
    require(by, Resource.APP, Action.CREATE, app.namespace)
    if store.get_app(app.id, tenant=by.tenant) is not None:
        raise ConflictError(f"app '{app.id}' already exists; update it with PUT /apps/{app.id}")
    return _save(store, app, source, by=by, now=now, before=None)


def update(store: AppPorts, key: str, source: str, *, by: Principal, now: datetime) -> Saved:
    """Replace the source of app `key` (NotFoundError when there is none)."""
    before = store.get_app(key, tenant=by.tenant)
    if before is None:
        raise NotFoundError(f"app '{key}' not found")
    require(by, Resource.APP, Action.UPDATE, before.namespace)
    app = parse_app(source)
    if app.id != key:
        raise ConflictError(f"the YAML's id '{app.id}' is not the app's id '{key}'")
    require(by, Resource.APP, Action.UPDATE, app.namespace)
    return _save(store, app, source, by=by, now=now, before=before)


def apply(store: AppPorts, source: str, *, by: Principal, now: datetime) -> Saved:
    """Create the app, or replace the one with its id (deploy, `legato app apply`)."""
    app = parse_app(source)
    before = store.get_app(app.id, tenant=by.tenant)
    if before is not None:
        require(by, Resource.APP, Action.UPDATE, before.namespace)
    require(by, Resource.APP, Action.CREATE if before is None else Action.UPDATE, app.namespace)
    return _save(store, app, source, by=by, now=now, before=before)


@dataclass(frozen=True)
class NamespaceApps:
    """A namespace's apps as a deploy writes them in its one transaction (with its flows and suites): the records
    to save, the ids to delete, and their audit entries."""

    saves: list[AppRecord]
    deletions: list[str]
    entries: list[AuditEntry]


def for_deploy(store: AppPorts, namespace: str, sources: list[str], deletions: list[str], *, by: Principal,
               now: datetime) -> NamespaceApps:
    """Check the apps a deploy of `namespace` saves (`sources`) and deletes (ids), and `by`'s permissions,
    writing nothing: FlowValidationError with every problem (an invalid app, one of another namespace, an id
    twice), ForbiddenError for a missing permission."""
    problems: list[Problem] = []
    parsed_apps: list[tuple[App, str]] = []
    for source in sources:
        try:
            app = parse_app(source)
        except FlowValidationError as exc:
            problems.extend(exc.problems)
            continue
        if app.namespace != namespace:
            problems.append(Problem("namespace", f"app {app.id} is in '{app.namespace}', not '{namespace}'"))
        elif any(app.id == other.id for other, _ in parsed_apps):
            problems.append(Problem("id", f"app {app.id} appears twice"))
        parsed_apps.append((app, source))
    if problems:
        raise FlowValidationError(problems)
    saves, entries = [], []
    for app, source in parsed_apps:
        before = store.get_app(app.id, tenant=by.tenant)
        if before is not None:
            require(by, Resource.APP, Action.UPDATE, before.namespace)
        require(by, Resource.APP, Action.CREATE if before is None else Action.UPDATE, app.namespace)
        saves.append(AppRecord(app.id, app.namespace, app.flow_id, app.display_name, app.access.type, source,
                               before.created if before else now, now, tenant=by.tenant))
        entries.append(audit.entry(by, "CREATE" if before is None else "UPDATE", "APP", app.id,
                                   namespace=app.namespace, now=now,
                                   details=audit.changed(before.source if before else None, source)))
    removed = []
    for key in deletions:
        record = store.get_app(key, tenant=by.tenant)
        if record is None:
            continue  # already gone: nothing to delete
        if record.namespace != namespace:
            raise FlowValidationError([Problem("namespace", f"app {key} is in '{record.namespace}', not '{namespace}'")])
        require(by, Resource.APP, Action.DELETE, record.namespace)
        removed.append(key)
        entries.append(audit.entry(by, "DELETE", "APP", key, namespace=record.namespace, now=now))
    return NamespaceApps(saves, removed, entries)


def _save(store: AppPorts, app: App, source: str, *, by: Principal, now: datetime,
          before: AppRecord | None) -> Saved:
    record = AppRecord(app.id, app.namespace, app.flow_id, app.display_name, app.access.type, source,
                       before.created if before else now, now, tenant=by.tenant)
    details = audit.changed(before.source if before else None, source)
    with audit.action(store, by, "CREATE" if before is None else "UPDATE", "APP", app.id, namespace=app.namespace,
                      now=now, details=details):
        saved = store.save_app(record)
    return Saved(saved, app, before is None)


def get(store: AppStore, key: str, *, by: Principal) -> tuple[AppRecord, App]:
    """One app with its parsed YAML (NotFoundError when there is none)."""
    record = find(store, key, by.tenant)
    require(by, Resource.APP, Action.VIEW, record.namespace)
    return record, parsed(record.source, key)


def find(store: AppStore, key: str, tenant: str = MAIN) -> AppRecord:
    """The stored app `key` of `tenant`, whoever asks (NotFoundError when there is none): the app pages check
    access."""
    record = store.get_app(key, tenant=tenant)
    if record is None:
        raise NotFoundError(f"app '{key}' not found")
    return record


@lru_cache(maxsize=256)
def parsed(source: str, name: str) -> App:
    """A stored app's parsed YAML (frozen): every poll of an app page would parse it again."""
    return parse_app(source, name=name)


def search(store: AppStore, query: str | None = None, *, namespace: str | None = None, tags: list[str] | None = None,
           catalog: bool = False, by: Principal) -> list[tuple[AppRecord, App]]:
    """The apps `by` may list, by display name then id: in `namespace` (and its children), with every tag of
    `tags`, whose id or display name contains `query`; `catalog`: only those listed in the catalogue."""
    require(by, Resource.APP, Action.LIST, namespace)
    found = []
    for record in store.list_apps(namespace, tenant=by.tenant):
        if not visible(by, Resource.APP, Action.LIST, record.namespace):
            continue
        app = parsed(record.source, record.id)
        if query and query.lower() not in record.id.lower() and query.lower() not in record.display_name.lower():
            continue
        if tags and not set(tags) <= set(app.tags):
            continue
        if catalog and not app.access.catalog:
            continue
        found.append((record, app))
    return found


def delete(store: AppPorts, key: str, *, by: Principal, now: datetime) -> None:
    """Delete an app (NotFoundError when there is none); the executions it started stay."""
    record = find(store, key, by.tenant)
    require(by, Resource.APP, Action.DELETE, record.namespace)
    with audit.action(store, by, "DELETE", "APP", key, namespace=record.namespace, now=now):
        store.delete_app(key, tenant=by.tenant)
