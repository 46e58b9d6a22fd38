"""examples/dropbox.yaml end to end with `legato flow run` against the Dropbox test double (double.py): the report is
uploaded to the day's folder, listed, downloaded and archived."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from tests.flow_cli import ALLOW_LOOPBACK, run_flow
from tests.integration.dropbox.double import TOKEN, DropboxDouble

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "dropbox.yaml"


def test_the_example_uploads_lists_downloads_and_archives_the_report(tmp_path: Path) -> None:
    double = DropboxDouble()
    double.put("/archive/sales-2000-01-01.csv", b"old")
    with double.serve() as url:
        flow: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
        flow["pluginDefaults"][0]["values"].update(apiUrl=url, contentUrl=url)
        done = run_flow(yaml.safe_dump(flow, sort_keys=False), tmp_path, env=ALLOW_LOOPBACK,
                        secrets={"DROPBOX_ACCESS_TOKEN": TOKEN})
    assert done.returncode == 0, done.stdout + done.stderr
    [archived] = [p for p in double.files if p.startswith("/archive/sales-") and "2000" not in p]
    assert double.files[archived][1].startswith(b"region,revenue\n")
    assert not any(p.startswith("/reports/") for p in double.files)  # moved out of the day's folder
    assert "1 file(s) in the folder" in done.stdout + done.stderr
