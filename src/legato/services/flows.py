"""Deploying flows: one revision, several of a namespace at once (one transaction), deleting. Every source is
validated with the installed plugins before anything is written."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from legato.flows import Flows, parse_flow
from legato.flows.documents import parse_chunk, split_documents
from legato.flows.edits import with_disabled
from legato.identity.permissions import Action, Resource
from legato.model.errors import FlowValidationError, Problem
from legato.model.flow import Flow
from legato.services import apps as app_service
from legato.services import audit, deploy_journal
from legato.services.apps import AppPorts
from legato.services.errors import ConflictError, NotFoundError
from legato.services.principal import Principal, require
from legato.storage import Storage, StorageError
from legato.store.ports import (
    AuditEntry,
    AuditLog,
    DeployJournalStore,
    FlowReader,
    FlowRecord,
    FlowSave,
    FlowStore,
    JournalAbandoned,
    SuiteSave,
)


class FlowPorts(FlowStore, AuditLog, Protocol):
    """What the flow services use: flows (and test suites saved with them), and the audit log."""


def find(store: FlowReader, namespace: str, flow_id: str, revision: int | None = None, *, tenant: str) -> FlowRecord:
    """The latest revision of the flow (or `revision`) in `tenant`; NotFoundError naming what is missing. A read:
    the API checks the caller's right to see the namespace from the route's access rule."""
    record = store.get_flow(namespace, flow_id, revision, tenant=tenant)
    if record is None:
        what = f"revision {revision} of flow" if revision else "flow"
        raise NotFoundError(f"{what} {namespace}.{flow_id} not found")
    return record


def deploy(store: FlowPorts, source: str, *, by: Principal, now: datetime, name: str = "<flow>",
           flows: Flows | None = None) -> FlowRecord:
    """Validate `source` and store it as the flow's next revision (unchanged source: same revision)."""
    flow = parse_flow(source, name)
    require(by, Resource.FLOW, Action.UPDATE if store.get_flow(flow.namespace, flow.id, tenant=by.tenant) else Action.CREATE,
            flow.namespace)
    with _audited(store, by, flow.namespace, flow.id, source, now):
        record = store.save_flow(flow.namespace, flow.id, source, disabled=flow.disabled, now=now, tenant=by.tenant)
    if flows is not None:
        flows.of(record)
    return record


def create(store: FlowPorts, source: str, *, by: Principal, now: datetime) -> FlowRecord:
    """A new flow (revision 1); ConflictError when the namespace already has a flow with this id."""
    flow = parse_flow(source)
    require(by, Resource.FLOW, Action.CREATE, flow.namespace)
    if store.get_flow(flow.namespace, flow.id, tenant=by.tenant) is not None:
        raise ConflictError(f"flow {flow.namespace}.{flow.id} already exists; update it with PUT")
    with _audited(store, by, flow.namespace, flow.id, source, now):
        return store.save_flow(flow.namespace, flow.id, source, disabled=flow.disabled, now=now, tenant=by.tenant)


def update(store: FlowPorts, flow: Flow, source: str, *, by: Principal, now: datetime) -> FlowRecord:
    """A new revision of an existing live flow (`flow` is `source` parsed); NotFoundError when there is none."""
    require(by, Resource.FLOW, Action.UPDATE, flow.namespace)
    latest = store.get_flow(flow.namespace, flow.id, tenant=by.tenant)
    if latest is None or latest.deleted:
        raise NotFoundError(f"flow {flow.namespace}.{flow.id} not found")
    with _audited(store, by, flow.namespace, flow.id, source, now):
        return store.save_flow(flow.namespace, flow.id, source, disabled=flow.disabled, now=now, tenant=by.tenant)


def delete(store: FlowPorts, namespace: str, flow_id: str, *, by: Principal, now: datetime) -> None:
    """Delete a flow (its revisions stay readable; its executions are kept); NotFoundError when not live."""
    require(by, Resource.FLOW, Action.DELETE, namespace)
    with _audited(store, by, namespace, flow_id, None, now):
        if not store.delete_flow(namespace, flow_id, now, tenant=by.tenant):
            raise NotFoundError(f"flow {namespace}.{flow_id} not found")


def delete_many(store: FlowPorts, ids: Sequence[tuple[str, str]], *, by: Principal, now: datetime) -> int:
    """Delete every (namespace, id) of `ids` in one transaction; NotFoundError, and nothing deleted, when one of
    them is not a live flow. How many were deleted."""
    records = _live(store, ids, by.tenant)
    for record in records:
        require(by, Resource.FLOW, Action.DELETE, record.namespace)
    with audit.recorded(store, [_entry(by, r.namespace, r.id, r.source, None, now) for r in records]):
        store.replace_flows([], [(r.namespace, r.id) for r in records], now, tenant=by.tenant)
    return len(records)


def set_disabled(store: FlowPorts, ids: Sequence[tuple[str, str]], disabled: bool, *, by: Principal,
                 now: datetime) -> list[FlowRecord]:
    """Disable (or enable) every flow of `ids` as Kestra does: a new revision whose source says `disabled: true`
    (or `false`), all in one transaction; flows already in that state are left alone. NotFoundError, and nothing
    written, when one of them is not a live flow. The new revisions."""
    saves = []
    entries = []
    for record in _live(store, ids, by.tenant):
        require(by, Resource.FLOW, Action.UPDATE, record.namespace)
        if record.disabled == disabled:
            continue
        source = with_disabled(record.source, disabled)
        flow = parse_flow(source, f"{record.namespace}.{record.id}")
        saves.append(FlowSave(flow.namespace, flow.id, source, flow.disabled))
        entries.append(_entry(by, record.namespace, record.id, record.source, source, now))
    with audit.recorded(store, entries):
        return store.replace_flows(saves, [], now, tenant=by.tenant) if saves else []


def import_flows(store: FlowPorts, files: Iterable[tuple[str, str]], *, by: Principal,
                 now: datetime) -> tuple[list[FlowRecord], list[str]]:
    """Import the flows of `files` ((name, YAML text), several documents allowed), as Kestra's import does: the
    valid ones are saved as their next revision, in one transaction, and nothing of the others. The saved
    records, and the names of the documents that are not valid flows (`name`, or `name#2` for the second
    document of a file)."""
    saves: list[FlowSave] = []
    rejected: list[str] = []
    for name, text in files:
        chunks = split_documents(text)
        for chunk in chunks:
            label = name if len(chunks) == 1 else f"{name}#{chunk.index + 1}"
            try:
                flow = parse_chunk(chunk, label)
            except FlowValidationError:
                rejected.append(label)
                continue
            saves.append(FlowSave(flow.namespace, flow.id, chunk.text, flow.disabled))
    entries = []
    for save in saves:
        latest = store.get_flow(save.namespace, save.id, tenant=by.tenant)
        before = latest.source if latest is not None and not latest.deleted else None
        require(by, Resource.FLOW, Action.CREATE if before is None else Action.UPDATE, save.namespace)
        if before != save.source:
            entries.append(_entry(by, save.namespace, save.id, before, save.source, now))
    with audit.recorded(store, entries):
        return (store.replace_flows(saves, [], now, tenant=by.tenant) if saves else []), rejected


def _live(store: FlowPorts, ids: Sequence[tuple[str, str]], tenant: str) -> list[FlowRecord]:
    """The latest revisions of `ids`, each once; NotFoundError naming the first that is not a live flow."""
    records = []
    for namespace, flow_id in dict.fromkeys(ids):
        record = store.get_flow(namespace, flow_id, tenant=tenant)
        if record is None or record.deleted:
            raise NotFoundError(f"flow {namespace}.{flow_id} not found")
        records.append(record)
    return records


def in_namespace(namespace: str, prefix: str | None) -> bool:
    """Whether `namespace` is `prefix` or one of its children (any namespace when `prefix` is None)."""
    return prefix is None or namespace == prefix or namespace.startswith(prefix + ".")


def update_namespace(store: FlowPorts, namespace: str, text: str, *, delete: bool, by: Principal,
                     now: datetime) -> list[FlowRecord]:
    """Create or update each flow of a multi-document YAML text, all in `namespace` (or its children), and with
    `delete` delete the namespace's flows the text does not contain: in ONE transaction, so all of it is saved
    or nothing is. Nothing is written unless every document is valid (FlowValidationError with the problems
    of every document, at lines of `text`)."""
    saves: list[FlowSave] = []
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for chunk in split_documents(text):
        try:
            flow = parse_chunk(chunk)
        except FlowValidationError as exc:
            problems.extend(exc.problems)
            continue
        if not in_namespace(flow.namespace, namespace):
            problems.append(Problem("namespace", f"flow {flow.id} is in namespace '{flow.namespace}', not in '{namespace}'",
                                    chunk.first_line, 1))
        elif (flow.namespace, flow.id) in seen:
            problems.append(Problem("id", f"flow {flow.namespace}.{flow.id} appears twice", chunk.first_line, 1))
        seen.add((flow.namespace, flow.id))
        saves.append(FlowSave(flow.namespace, flow.id, chunk.text, flow.disabled))
    if problems:
        raise FlowValidationError(problems)
    live = {(r.namespace, r.id): r.source for r in store.list_flows(tenant=by.tenant) if in_namespace(r.namespace, namespace)}
    for save in saves:
        require(by, Resource.FLOW, Action.UPDATE if (save.namespace, save.id) in live else Action.CREATE, save.namespace)
    deletes = [key for key in live if key not in seen] if delete else []
    for deleted_namespace, _ in deletes:
        require(by, Resource.FLOW, Action.DELETE, deleted_namespace)
    entries = [_entry(by, f.namespace, f.id, live.get((f.namespace, f.id)), f.source, now) for f in saves
               if live.get((f.namespace, f.id)) != f.source]
    entries += [_entry(by, ns, flow_id, live[(ns, flow_id)], None, now) for ns, flow_id in deletes]
    with audit.recorded(store, entries):
        return store.replace_flows(saves, deletes, now, tenant=by.tenant)


def _audited(store: FlowPorts, by: Principal, namespace: str, flow_id: str, source: str | None, now: datetime) -> Any:
    """The audit of saving `source` as flow `namespace.flow_id` (None: deleting it), nothing when unchanged."""
    latest = store.get_flow(namespace, flow_id, tenant=by.tenant)
    before = latest.source if latest is not None and not latest.deleted else None
    return audit.recorded(store, [] if before == source else [_entry(by, namespace, flow_id, before, source, now)])


def _entry(by: Principal, namespace: str, flow_id: str, before: str | None, after: str | None,
           now: datetime) -> AuditEntry:
    action = "CREATE" if before is None else "DELETE" if after is None else "UPDATE"
    return audit.entry(by, action, "FLOW", f"{namespace}.{flow_id}", namespace=namespace, now=now,
                       details=audit.source_diff(before, after, f"{namespace}/{flow_id}.yml"))


@dataclass(frozen=True)
class NamespaceDeploy:
    """Everything `deploy_namespace` changes in one namespace: flow sources to save and flow ids to delete,
    test suites likewise, namespace files (`/path` → bytes) to write and paths to delete."""

    namespace: str
    flows: list[str] = field(default_factory=list)
    flow_deletions: list[str] = field(default_factory=list)
    suites: list[SuiteSave] = field(default_factory=list)
    suite_deletions: list[str] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    file_deletions: list[str] = field(default_factory=list)
    apps: list[str] = field(default_factory=list)  # app YAML sources
    app_deletions: list[str] = field(default_factory=list)  # app ids


class DeployPorts(FlowPorts, AppPorts, DeployJournalStore, Protocol):
    """What a namespace's deploy writes in its one transaction: flows, test suites, apps and the journal of its
    namespace files."""


def deploy_namespace(store: DeployPorts, storage: Storage, change: NamespaceDeploy, *, by: Principal,
                     now: datetime) -> list[FlowRecord]:
    """Apply a namespace's deploy, all or nothing: every flow, test suite and app is validated and every
    permission checked first (nothing changes otherwise); what an earlier deploy of the namespace left to do is
    done; the new and changed namespace files are staged out of sight, then the flows, suites and apps are saved
    and deleted and the journal of the files (staged → final, deletions) committed in ONE transaction, after
    which the journal is carried out (`services.deploy_journal`). Killed half way, the namespace's flows, suites,
    apps and files are all old or all new (new files once the journal is carried out, at the latest by the next
    start of a server or the next deploy of the namespace)."""
    saves: list[FlowSave] = []
    problems: list[Problem] = []
    for source in change.flows:
        try:
            flow = parse_flow(source)
        except FlowValidationError as exc:
            problems.extend(exc.problems)
            continue
        if flow.namespace != change.namespace:
            problems.append(Problem("namespace", f"flow {flow.id} is in '{flow.namespace}', not '{change.namespace}'"))
        saves.append(FlowSave(flow.namespace, flow.id, source, flow.disabled))
    wrong = [s.id for s in change.suites if s.namespace != change.namespace]
    problems += [Problem("namespace", f"test suite {i} is not in '{change.namespace}'") for i in wrong]
    try:
        apps = app_service.for_deploy(store, change.namespace, change.apps, change.app_deletions, by=by, now=now)
    except FlowValidationError as exc:
        problems.extend(exc.problems)
    if problems:
        raise FlowValidationError(problems)
    _require_deploy(store, by, change, [save.id for save in saves])
    deploy_journal.finish(store, storage, change.namespace, tenant=by.tenant)
    live = {r.id: r.source for r in store.list_flows(change.namespace, tenant=by.tenant)}
    entries = [_entry(by, f.namespace, f.id, live.get(f.id), f.source, now) for f in saves if live.get(f.id) != f.source]
    entries += [_entry(by, change.namespace, i, live[i], None, now) for i in change.flow_deletions if i in live]
    journal = deploy_journal.stage(store, storage, change.namespace, change.files, change.file_deletions,
                                   tenant=by.tenant, now=now)
    try:
        with audit.recorded(store, entries + apps.entries):
            saved = store.replace_flows(saves, [(change.namespace, i) for i in change.flow_deletions], now,
                                        suites=change.suites,
                                        suite_deletions=[(change.namespace, i) for i in change.suite_deletions],
                                        apps=apps.saves, app_deletions=apps.deletions, journal=journal,
                                        tenant=by.tenant)
    except JournalAbandoned as exc:
        raise ConflictError(f"namespace {change.namespace}: {exc}") from None
    except Exception:
        if journal is not None:
            deploy_journal.discard(store, storage, journal)
        raise
    if journal is not None:
        try:
            deploy_journal.carry_out(store, storage, journal)
        except (StorageError, OSError) as exc:
            raise DeployFilesPending(change.namespace, exc) from exc
    return saved


class DeployFilesPending(ConflictError):
    """The namespace's flows, suites and apps were deployed, but putting its files in place failed: they stay
    staged, and are put in place by the next start of a server or the next deploy of the namespace."""

    def __init__(self, namespace: str, cause: Exception) -> None:
        super().__init__(f"namespace {namespace} was deployed, but its files could not be put in place yet ({cause});"
                         " they will be at the next start of a Legato server or the next deploy of the namespace")


def _require_deploy(store: FlowPorts, by: Principal, change: NamespaceDeploy, flow_ids: list[str]) -> None:
    """ForbiddenError unless `by` may make every change of the namespace's deploy (`flow_ids`: the flows saved)."""
    ns = change.namespace
    live = {r.id for r in store.list_flows(tenant=by.tenant) if r.namespace == ns}
    for flow_id in flow_ids:
        require(by, Resource.FLOW, Action.UPDATE if flow_id in live else Action.CREATE, ns)
    if change.flow_deletions:
        require(by, Resource.FLOW, Action.DELETE, ns)
    if change.suites:
        require(by, Resource.TESTSUITE, Action.UPDATE, ns)
    if change.suite_deletions:
        require(by, Resource.TESTSUITE, Action.DELETE, ns)
    if change.files or change.file_deletions:
        require(by, Resource.NAMESPACE, Action.MANAGE_FILES, ns)
