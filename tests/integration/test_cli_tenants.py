"""`legato tenant create|list|rename|delete` on a database, as a user types them."""

from __future__ import annotations

from datetime import UTC, datetime

from click.testing import CliRunner

from legato.cli.main import cli
from legato.store.sql import SqlStore

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)


def test_tenants_from_the_cli(sqlite_store: SqlStore) -> None:
    url = ["--database-url", str(sqlite_store.database.engine.url)]
    run = CliRunner().invoke
    created = run(cli, ["tenant", "create", "acme", "--name", "Acme Corp", *url])
    assert created.exit_code == 0, created.output
    assert "tenant acme created" in created.output
    again = run(cli, ["tenant", "create", "acme", *url])
    assert again.exit_code == 1 and "tenant 'acme' already exists" in again.output
    bad = run(cli, ["tenant", "create", "Not Valid", *url])
    assert bad.exit_code == 1 and "must be 2 to 64 lower-case letters" in bad.output
    assert run(cli, ["tenant", "rename", "acme", "ACME Inc.", *url]).exit_code == 0
    listed = run(cli, ["tenant", "list", *url])
    assert listed.exit_code == 0 and listed.output.splitlines() == ["main\tMain", "acme\tACME Inc."]
    sqlite_store.save_flow("ns", "f", "source", disabled=False, now=NOW, tenant="acme")
    refused = run(cli, ["tenant", "delete", "acme", *url])
    assert refused.exit_code == 1 and "still holds 1 flow revision(s)" in refused.output
    sqlite_store.delete_flow("ns", "f", NOW, tenant="acme")
    assert run(cli, ["tenant", "delete", "acme", *url]).exit_code == 0
    assert run(cli, ["tenant", "list", *url]).output.splitlines() == ["main\tMain"]
    assert run(cli, ["tenant", "delete", "main", *url]).exit_code == 1
