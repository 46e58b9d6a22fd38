"""Contract: deploy journals (opened before a deploy stages its files, committed in its transaction with the
flows, listed until carried out; an opened journal never committed is abandoned, and then cannot commit)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from legato.store.ports import DeployJournal, FileMove, FlowSave, JournalAbandoned
from legato.store.sql import SqlStore

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)


def _journal(journal_id: str, namespace: str = "team", tenant: str = "main", at: datetime = NOW) -> DeployJournal:
    staging = f"kestra:///_deploys/{journal_id}"
    return DeployJournal(journal_id, namespace, staging, (FileMove(f"{staging}/0", "kestra:///team/_files/a.sql"),),
                         ("kestra:///team/_files/old.sql",), at, tenant)


def _flow(version: str) -> FlowSave:
    return FlowSave("team", "flow", f"id: flow\nnamespace: team\n# {version}\n", False)


class DeployJournalContract:
    def test_a_journal_is_committed_with_the_flows_listed_and_deleted(self, store: SqlStore) -> None:
        journal = _journal("j1")
        store.open_deploy_journal("j1", "team", journal.staging, NOW)
        assert store.deploy_journals() == []  # opened, not committed: nothing to carry out
        store.replace_flows([_flow("v1")], [], NOW, journal=journal)
        assert store.deploy_journals() == [journal]
        assert store.deploy_journals("team", tenant="main") == [journal]
        assert store.deploy_journals("other", tenant="main") == []
        assert store.deploy_journals("team", tenant="acme") == []
        assert store.abandon_deploy_journals() == []  # a committed journal is never abandoned
        assert store.abandon_deploy_journals("j1") == []
        assert store.delete_deploy_journal("j1") is True
        assert store.delete_deploy_journal("j1") is False
        assert store.deploy_journals() == []

    def test_journals_are_listed_oldest_first_per_tenant(self, store: SqlStore) -> None:
        later, earlier = _journal("b", at=NOW + timedelta(seconds=1)), _journal("a", tenant="acme")
        for journal in (later, earlier):
            store.open_deploy_journal(journal.id, journal.namespace, journal.staging, journal.created,
                                      tenant=journal.tenant)
            store.replace_flows([], [], journal.created, journal=journal, tenant=journal.tenant)
        assert [j.id for j in store.deploy_journals()] == ["a", "b"]
        assert [j.id for j in store.deploy_journals(tenant="acme")] == ["a"]

    def test_an_abandoned_journal_fails_its_deploy_which_writes_nothing(self, store: SqlStore) -> None:
        store.replace_flows([_flow("v1")], [], NOW)
        journal, other = _journal("j2"), _journal("j3")
        store.open_deploy_journal("j2", "team", journal.staging, NOW)
        store.open_deploy_journal("j3", "team", other.staging, NOW)
        assert store.abandon_deploy_journals("j3") == [other.staging]  # only that one
        assert store.abandon_deploy_journals() == [journal.staging]
        assert store.abandon_deploy_journals() == []
        with pytest.raises(JournalAbandoned):
            store.replace_flows([_flow("v2")], [], NOW + timedelta(seconds=1), journal=journal)
        record = store.get_flow("team", "flow")
        assert record is not None and record.source.endswith("# v1\n")
        assert store.deploy_journals() == []
