"""The roll-forward journal of a namespace's deploy, which makes its namespace files all old or all new with its
flows. Before the deploy's transaction the journal is opened and the new and changed files are staged under
kestra:///_deploys/<journal id>/ of the storage backend (no namespace folder starts with `_`, so nothing visible
changes); the transaction commits the journal (its moves, staged → final, and its deletions) with the flows;
after the commit the journal is carried out and deleted. A process that dies before the commit leaves an
uncommitted journal, abandoned with its staging at the next start; one that dies after it leaves a committed
journal, carried out at the next start or before the namespace's next deploy. Carrying out is idempotent."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from legato.storage import Storage, StorageError, namespace_files
from legato.storage import tenants as tenant_storage
from legato.storage.uris import build_uri, parse_uri
from legato.store.ports import DeployJournal, DeployJournalStore, FileMove

STAGING = "_deploys"  # the backend folder of staged deploy files, outside every tenant's namespaces

log = logging.getLogger("legato.deploy")


def _backend(storage: Storage) -> Storage:
    return storage.inner if isinstance(storage, tenant_storage.TenantStorage) else storage


def stage(store: DeployJournalStore, storage: Storage, namespace: str, files: Mapping[str, bytes],
          deletions: Sequence[str], *, tenant: str, now: datetime) -> DeployJournal | None:
    """Open a journal and stage `files` (`/path` → bytes) for it; the journal to commit with the deploy's
    transaction (None when the deploy changes no file)."""
    if not files and not deletions:
        return None
    backend = _backend(storage)
    view = tenant_storage.TenantStorage(backend, tenant)
    journal_id = f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex}"
    staging = build_uri(STAGING, journal_id)
    finals = {path: view.to_backend(namespace_files.file_uri(namespace, path)) for path in files}
    gone = tuple(view.to_backend(namespace_files.file_uri(namespace, path)) for path in deletions)
    store.open_deploy_journal(journal_id, namespace, staging, now, tenant=tenant)
    moves = []
    for n, (path, data) in enumerate(sorted(files.items())):
        staged = build_uri(STAGING, journal_id, str(n))
        backend.put(staged, data)
        moves.append(FileMove(staged, finals[path]))
    return DeployJournal(journal_id, namespace, staging, tuple(moves), gone, now, tenant)


def carry_out(store: DeployJournalStore, storage: Storage, journal: DeployJournal) -> None:
    """Put the journal's staged files in place, delete its deleted files, remove its staging, then forget it.
    Idempotent: a staged file already gone was moved by an earlier, interrupted carry-out. Deletions go first,
    so that a file replaced by a folder of the same name (or the reverse) finds its place free."""
    backend = _backend(storage)
    for uri in journal.deletions:
        backend.delete(uri)
    for move in journal.moves:
        try:
            data = backend.get(move.staged)
        except StorageError:
            if backend.exists(move.staged):
                raise
            continue  # moved already
        backend.put(move.final, data)
        backend.delete(move.staged)
    backend.delete_prefix(journal.staging)
    store.delete_deploy_journal(journal.id)


def discard(store: DeployJournalStore, storage: Storage, journal: DeployJournal) -> None:
    """After the deploy's transaction failed: forget the journal (if it is indeed uncommitted) and its staging."""
    for staging in store.abandon_deploy_journals(journal.id):
        _backend(storage).delete_prefix(staging)


def finish(store: DeployJournalStore, storage: Storage, namespace: str, *, tenant: str) -> int:
    """Carry out the journals a dead deploy left for `namespace` (before it is deployed again); how many."""
    journals = store.deploy_journals(namespace, tenant=tenant)
    for journal in journals:
        carry_out(store, storage, journal)
    return len(journals)


def recover(store: DeployJournalStore, storage: Storage) -> tuple[int, int]:
    """At a server's start: carry out every committed journal left, and remove the staging of the deploys that
    died before their commit (their journals are abandoned: a deploy still running past its staging then fails
    to commit, writing nothing). (journals carried out, staging folders removed)."""
    backend = _backend(storage)
    listed = {parse_uri(uri)[1] for uri in backend.list(build_uri(STAGING))}
    abandoned = store.abandon_deploy_journals()
    journals = store.deploy_journals()
    for journal in journals:
        carry_out(store, storage, journal)
    # a folder listed before the journals were read and not theirs is staging of a dead deploy: its journal was
    # opened before its first file, so it is now abandoned (or was, by an earlier start that died before this)
    kept = {parse_uri(j.staging)[1] for j in journals}
    removed = 0
    for folder in sorted((listed - kept) | {parse_uri(s)[1] for s in abandoned}):
        backend.delete_prefix(build_uri(STAGING, folder))
        removed += 1
    if journals or removed:
        log.info("deploy recovery: %d journal(s) carried out, %d abandoned staging folder(s) removed",
                 len(journals), removed)
    return len(journals), removed
