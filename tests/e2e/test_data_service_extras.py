"""Without their optional extra, flows using the MongoDB or Google Sheets families fail validation at the `type`
line with the pip line to run (the client libraries are made unimportable, as when the extra is not installed);
the Elasticsearch and OpenSearch families need none."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

MISSING = """
import sys
for name in ("pymongo", "google.auth", "requests"):
    sys.modules[name] = None  # as if the mongodb and googleworkspace extras were not installed
from legato.cli.main import main
sys.argv = ["legato", *sys.argv[1:]]
main()
"""

FLOWS = {
    "mongodb": ("io.kestra.plugin.mongodb.Find", "connection:\n      uri: mongodb://h\n    database: d\n    collection: c", "pymongo"),
    "googleworkspace": ("io.kestra.plugin.googleworkspace.sheets.Read", "spreadsheetId: s", "google.auth, requests"),
}


@pytest.mark.parametrize("family", sorted(FLOWS))
def test_a_flow_needing_a_missing_extra_fails_validation_with_the_pip_line(family: str, tmp_path: Path) -> None:
    kind, body, modules = FLOWS[family]
    (tmp_path / "flow.yaml").write_text(f"id: f\nnamespace: company.team\ntasks:\n  - id: t\n    type: {kind}\n    {body}\n")
    done = subprocess.run([sys.executable, "-c", MISSING, "flow", "validate", "flow.yaml"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert (f"flow.yaml:5:11: tasks[0].type: task type '{kind}' needs the Python package(s) {modules}, not installed: "
            f"run pip install 'legato[{family}]'") in done.stderr


def test_the_search_families_need_no_extra(tmp_path: Path) -> None:
    (tmp_path / "flow.yaml").write_text(
        "id: f\nnamespace: company.team\ntasks:\n  - id: t\n    type: io.kestra.plugin.opensearch.Search\n"
        "    connection:\n      hosts: [http://h:9200]\n    request: {query: {match_all: {}}}\n")
    done = subprocess.run([sys.executable, "-c", MISSING, "flow", "validate", "flow.yaml"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
