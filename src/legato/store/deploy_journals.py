"""Deploy journals: the namespace-file moves and deletions a deploy owes internal storage. A journal is opened
(uncommitted, empty) before the deploy stages its files and committed with its moves in the deploy's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, false, insert, select, true, update

from legato.store.ports.deploys import DeployJournal, FileMove, JournalAbandoned
from legato.store.schema import deploy_journals

_j = deploy_journals.c


class DeployJournalQueries:
    """Named queries over the deploy_journals table."""

    def __init__(self) -> None:
        self._open = insert(deploy_journals)
        self._commit = (update(deploy_journals)
                        .where((_j.id == bindparam("journal_id")) & (_j.committed == false()))
                        .values(moves=bindparam("moves"), deletions=bindparam("deletions"), committed=True))
        self._committed = select(deploy_journals).where(_j.committed == true()).order_by(_j.created, _j.id)
        self._uncommitted = select(_j.id, _j.staging).where(_j.committed == false())
        self._abandon = delete(deploy_journals).where((_j.id == bindparam("journal_id")) & (_j.committed == false()))
        self._delete = delete(deploy_journals).where(_j.id == bindparam("journal_id"))

    def open(self, conn: Connection, journal_id: str, tenant: str, namespace: str, staging: str,
             now: datetime) -> None:
        """Record a deploy about to stage its files under `staging`."""
        conn.execute(self._open, {"id": journal_id, "tenant": tenant, "namespace": namespace, "staging": staging,
                                  "moves": [], "deletions": [], "committed": False, "created": now})

    def commit(self, conn: Connection, journal: DeployJournal) -> None:
        """Fill and commit an opened journal (in the deploy's transaction); JournalAbandoned when it is gone."""
        done = conn.execute(self._commit, {"journal_id": journal.id,
                                           "moves": [[m.staged, m.final] for m in journal.moves],
                                           "deletions": list(journal.deletions)}).rowcount
        if done != 1:
            raise JournalAbandoned(f"deploy journal {journal.id} was abandoned by a starting server before the "
                                   "deploy committed: nothing was written; deploy again")

    def committed(self, conn: Connection, namespace: str | None, tenant: str | None) -> list[DeployJournal]:
        """The committed journals left (of one namespace of one tenant when given), oldest first."""
        query = self._committed
        if tenant is not None:
            query = query.where(_j.tenant == tenant)
        if namespace is not None:
            query = query.where(_j.namespace == namespace)
        return [_journal(row) for row in conn.execute(query)]

    def abandon(self, conn: Connection, journal_id: str | None) -> list[str]:
        """Delete every uncommitted journal (or the one of `journal_id`); their staging folders."""
        query = self._uncommitted if journal_id is None else self._uncommitted.where(_j.id == journal_id)
        gone = []
        for row in conn.execute(query).all():
            # a deploy committing it meanwhile wins: the row is then committed and stays
            if conn.execute(self._abandon, {"journal_id": row.id}).rowcount == 1:
                gone.append(row.staging)
        return gone

    def delete(self, conn: Connection, journal_id: str) -> bool:
        """Delete one journal; True when it existed."""
        return conn.execute(self._delete, {"journal_id": journal_id}).rowcount == 1


def _journal(row: Row[Any]) -> DeployJournal:
    return DeployJournal(row.id, row.namespace, row.staging, tuple(FileMove(s, f) for s, f in row.moves),
                         tuple(row.deletions), row.created, row.tenant)
