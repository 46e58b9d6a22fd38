"""`legato flow disable|enable|delete|export|import` on a data directory's database, as a user types them."""

from __future__ import annotations

import zipfile
from pathlib import Path

from click.testing import CliRunner
from tests.builders import log_flow

from legato.cli.main import cli
from legato.store.sql import SqlStore


def flow(flow_id: str, ns: str = "team.data") -> str:
    return log_flow(flow_id, ns, task_id="say")


def test_the_lifecycle_of_flows_from_the_cli(sqlite_store: SqlStore, tmp_path: Path) -> None:
    url = ["--database-url", str(sqlite_store.database.engine.url)]
    run = CliRunner().invoke
    (tmp_path / "two.yaml").write_text(flow("a") + "---\n" + flow("b", "team.data.child"))
    imported = run(cli, ["flow", "import", str(tmp_path / "two.yaml"), *url])
    assert imported.exit_code == 0 and "imported 2 flow(s)" in imported.output

    disabled = run(cli, ["flow", "disable", "team.data.a", "team.data.child.b", *url])
    assert disabled.exit_code == 0, disabled.output
    assert "team.data.a revision 2: disabled" in disabled.output
    assert sqlite_store.get_flow("team.data", "a").source.endswith("disabled: true\n")  # type: ignore[union-attr]
    again = run(cli, ["flow", "disable", "team.data.a", *url])
    assert "1 flow(s) already disabled" in again.output
    assert run(cli, ["flow", "enable", "team.data.a", *url]).exit_code == 0
    assert sqlite_store.get_flow("team.data", "a").disabled is False  # type: ignore[union-attr]

    archive = tmp_path / "out.zip"
    exported = run(cli, ["flow", "export", "--namespace", "team.data", "-o", str(archive), *url])
    assert exported.exit_code == 0
    assert sorted(zipfile.ZipFile(archive).namelist()) == ["team.data.a.yml", "team.data.child.b.yml"]
    as_text = run(cli, ["flow", "export", "--namespace", "team.data.child", *url])
    assert as_text.output.startswith("id: b\n")

    missing = run(cli, ["flow", "delete", "team.data.a", "team.data.ghost", *url])
    assert missing.exit_code == 1 and "team.data.ghost not found" in missing.output
    assert sqlite_store.get_flow("team.data", "a") is not None  # all or nothing
    assert run(cli, ["flow", "delete", "team.data.a", "team.data.child.b", *url]).exit_code == 0
    assert [r.id for r in sqlite_store.list_flows()] == []

    (tmp_path / "bad.yml").write_text("id: broken\nnamespace: team.data\ntasks: []\n")
    back = run(cli, ["flow", "import", str(archive), str(tmp_path / "bad.yml"), *url])
    assert back.exit_code == 1 and "imported 2 flow(s)" in back.output and "invalid: " in back.output
    assert sorted(r.id for r in sqlite_store.list_flows()) == ["a", "b"]
    assert run(cli, ["flow", "disable", "no-dot", *url]).exit_code == 2
