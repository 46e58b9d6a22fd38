"""The deploy journal: the namespace-file changes a deploy committed with its flows, carried out after the commit
(and again, to completion, by whoever finds the row left behind by a process that died)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from legato.store.ports.tenants import MAIN


@dataclass(frozen=True)
class FileMove:
    """A staged file (backend storage URI) to put at its final URI (backend storage URI)."""

    staged: str
    final: str


@dataclass(frozen=True)
class DeployJournal:
    """What one namespace's deploy still owes internal storage: `moves` (staged → final) and `deletions` (final
    URIs); `staging` is the folder (backend URI) holding this deploy's staged files."""

    id: str
    namespace: str
    staging: str
    moves: tuple[FileMove, ...]
    deletions: tuple[str, ...]
    created: datetime
    tenant: str = MAIN


class JournalAbandoned(Exception):
    """The deploy's journal was abandoned (its staged files removed by a starting server) before the deploy
    committed: nothing of the deploy was written; run it again."""


class DeployJournalStore(Protocol):
    """A deploy opens its journal (before staging its files), and `FlowStore.replace_flows(..., journal=)` fills
    and commits it in the deploy's transaction."""

    def open_deploy_journal(self, journal_id: str, namespace: str, staging: str, now: datetime, *,
                            tenant: str = MAIN) -> None:
        """Record that a deploy is staging files under `staging`, not yet committed."""
        ...

    def abandon_deploy_journals(self, journal_id: str | None = None) -> list[str]:
        """Delete the journals opened but never committed (their deploy died, or will fail to commit), or only
        `journal_id` if it is uncommitted; the staging folders they held, to remove."""
        ...

    def deploy_journals(self, namespace: str | None = None, *, tenant: str | None = None) -> list[DeployJournal]:
        """The committed journals not yet carried out (of one namespace of one tenant when given), oldest first."""
        ...

    def delete_deploy_journal(self, journal_id: str) -> bool:
        """Forget a carried-out journal; True when it existed."""
        ...
