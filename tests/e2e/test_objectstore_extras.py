"""Without their optional extra, flows using the object-storage families fail validation at the `type` line with
the pip line to run, and `legato plugins list` says which extra each family needs (the client libraries are made
unimportable, as when the extra is not installed)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

MISSING = """
import sys
for name in ("boto3", "awscli", "google.cloud.storage", "azure.storage.blob"):
    sys.modules[name] = None  # as if the aws, gcp and azure extras were not installed
from legato.cli.main import main
sys.argv = ["legato", *sys.argv[1:]]
main()
"""

FLOWS = {
    "aws": ("io.kestra.plugin.aws.s3.Upload", "bucket: b\n    key: k\n    from: \"{{ inputs.f }}\"", "boto3"),
    "gcp": ("io.kestra.plugin.gcp.gcs.Download", "from: gs://b/k", "google.cloud.storage"),
    "azure": ("io.kestra.plugin.azure.storage.blob.Delete", "container: c\n    name: n", "azure.storage.blob"),
}


@pytest.mark.parametrize("family", sorted(FLOWS))
def test_a_flow_needing_a_missing_extra_fails_validation_with_the_pip_line(family: str, tmp_path: Path) -> None:
    kind, body, module = FLOWS[family]
    (tmp_path / "flow.yaml").write_text(f"id: f\nnamespace: company.team\ntasks:\n  - id: t\n    type: {kind}\n    {body}\n")
    done = subprocess.run([sys.executable, "-c", MISSING, "flow", "validate", "flow.yaml"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert (f"flow.yaml:5:11: tasks[0].type: task type '{kind}' needs the Python package(s) {module}, not installed: "
            f"run pip install 'legato[{family}]'") in done.stderr


def test_plugins_list_names_the_extra_of_each_family(tmp_path: Path) -> None:
    listed = subprocess.run([sys.executable, "-c", MISSING, "plugins", "list"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    for family, count in (("aws", 25), ("gcp", 9), ("azure", 8)):  # aws: S3, DynamoDB, Athena, CLI and messaging
        assert re.search(rf"^{family} .* {count} type\(s\) need: pip install 'legato\[{family}\]'$", listed.stdout, re.M), listed.stdout
