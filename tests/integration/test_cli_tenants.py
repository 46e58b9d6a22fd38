"""`legato tenant create|list|rename|delete` on a database, as a user types them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

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


FLOW = """id: hello
namespace: team
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "{label}"
"""


def test_commands_act_in_the_tenant_given(sqlite_store: SqlStore, tmp_path: Path) -> None:
    """--tenant (or LEGATO_TENANT) picks the tenant a command reads and writes; the same namespace and flow id live
    apart in two tenants; a tenant that does not exist is refused before anything is done."""
    url = ["--database-url", str(sqlite_store.database.engine.url)]
    run = CliRunner().invoke
    assert run(cli, ["tenant", "create", "acme", *url]).exit_code == 0
    for tenant, label in (("main", "in main"), ("acme", "in acme")):
        (tmp_path / f"{tenant}.yaml").write_text(FLOW.format(label=label))
        deployed = run(cli, ["flow", "deploy", str(tmp_path / f"{tenant}.yaml"), "--tenant", tenant, *url])
        assert deployed.exit_code == 0, deployed.output
    assert "in acme" in run(cli, ["flow", "export", *url], env={"LEGATO_TENANT": "acme"}).output
    assert "in acme" not in run(cli, ["flow", "export", *url]).output

    created = run(cli, ["execution", "create", "team", "hello", "--tenant", "acme", *url])
    assert created.exit_code == 0, created.output
    execution_id = created.output.strip()
    assert sqlite_store.get_execution(execution_id, tenant="acme") is not None
    assert execution_id in run(cli, ["execution", "list", "--tenant", "acme", *url]).output
    assert execution_id not in run(cli, ["execution", "list", *url]).output
    shown = run(cli, ["execution", "show", execution_id, *url])
    assert shown.exit_code == 1 and f"execution {execution_id} not found" in shown.output
    killed = run(cli, ["execution", "kill", execution_id, *url])  # main's principal cannot reach acme's execution
    assert killed.exit_code == 1, killed.output
    assert run(cli, ["execution", "kill", execution_id, "--tenant", "acme", *url]).exit_code == 0

    assert run(cli, ["flow", "disable", "team.hello", "--tenant", "acme", *url]).exit_code == 0
    flows = {t: sqlite_store.get_flow("team", "hello", tenant=t) for t in ("main", "acme")}
    assert flows["acme"] is not None and flows["acme"].disabled
    assert flows["main"] is not None and not flows["main"].disabled

    unknown = run(cli, ["execution", "list", "--tenant", "nope", *url])
    assert unknown.exit_code == 2 and "no tenant 'nope'" in unknown.output


SCHEDULED = """id: nightly
namespace: team
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: hi
triggers:
  - id: every_day
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 2 * * *"
"""


def test_trigger_commands_act_in_the_tenant_given(sqlite_store: SqlStore) -> None:
    url = ["--database-url", str(sqlite_store.database.engine.url)]
    run = CliRunner().invoke
    assert run(cli, ["tenant", "create", "acme", *url]).exit_code == 0
    for tenant in ("main", "acme"):
        sqlite_store.save_flow("team", "nightly", SCHEDULED, disabled=False, now=NOW, tenant=tenant)
    off = run(cli, ["trigger", "disable", "team", "nightly", "every_day", "--tenant", "acme", *url])
    assert off.exit_code == 0, off.output
    assert sqlite_store.get_trigger_state("team", "nightly", "every_day", tenant="acme").disabled  # type: ignore[union-attr]
    assert sqlite_store.get_trigger_state("team", "nightly", "every_day") is None  # main's untouched
    listed = {t: run(cli, ["trigger", "list", "--tenant", t, *url]).output.splitlines()[1].split()[4]
              for t in ("main", "acme")}
    assert listed == {"main": "yes", "acme": "no"}
    backfilled = run(cli, ["trigger", "backfill", "team", "nightly", "every_day", "--start", "2025-01-01",
                           "--end", "2025-01-03", "--tenant", "acme", *url])
    assert backfilled.exit_code == 0, backfilled.output
    assert "team  nightly  every_day" in run(cli, ["trigger", "backfills", "--tenant", "acme", *url]).output
    assert "no backfills" in run(cli, ["trigger", "backfills", *url]).output
    gone = run(cli, ["trigger", "backfill-delete", "team", "nightly", "every_day", *url])  # main has none
    assert gone.exit_code == 1 and "has no backfill" in gone.output
