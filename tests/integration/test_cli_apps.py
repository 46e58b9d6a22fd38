"""`legato app list|validate|apply|show|delete` on a database, as a user types them."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from legato.cli.main import cli
from legato.store.sql import SqlStore

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "apps" / "access_request.yaml"


def test_apps_from_the_cli(sqlite_store: SqlStore, tmp_path: Path) -> None:
    url = ["--database-url", str(sqlite_store.database.engine.url)]
    run = CliRunner().invoke
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text().replace("style: WARNING", "style: LOUD"))
    refused = run(cli, ["app", "validate", str(EXAMPLE), str(bad)])
    assert refused.exit_code == 1 and f"{bad}:" in refused.output and "layout[2].blocks[0].style" in refused.output
    assert run(cli, ["app", "apply", str(bad), *url]).exit_code == 1
    assert sqlite_store.get_app("access_request") is None  # nothing saved from an invalid file

    created = run(cli, ["app", "apply", str(EXAMPLE), *url])
    assert created.exit_code == 0 and "app access_request created" in created.output
    again = run(cli, ["app", "apply", str(EXAMPLE), *url])
    assert "app access_request updated" in again.output
    listed = run(cli, ["app", "list", *url])
    assert "access_request\tRequest access\ttutorial.access_request\tPUBLIC\t/ui/main/apps/access_request" in listed.output
    shown = run(cli, ["app", "show", "access_request", *url])
    assert shown.output == EXAMPLE.read_text()
    assert run(cli, ["app", "delete", "access_request", *url]).exit_code == 0
    missing = run(cli, ["app", "show", "access_request", *url])
    assert missing.exit_code == 1 and "app 'access_request' not found" in missing.output
