"""The broker and database clients are optional extras (redis, amqp, mqtt, nats, kafka, mysql, s3): without one, a
flow using a task or trigger that needs it fails validation at its `type` line with the pip line to run, and S3
internal storage says which extra to install (the client libraries are made unimportable, as when the extra is
not installed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from legato.storage.port import StorageError
from legato.storage.s3 import S3Storage

CLI = """
import sys
for name in {blocked!r}:
    sys.modules[name] = None  # as if its extra were not installed
from legato.cli.main import main
sys.argv = ["legato", *sys.argv[1:]]
main()
"""
MISSING = CLI.format(blocked=("redis", "aio_pika", "aiomqtt", "nats", "aiokafka", "pymysql"))

LOG = "  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"

# extra: (where the type sits, its type name, the module the extra installs)
USES = {
    "redis": ("tasks", "io.kestra.plugin.redis.string.Set", "redis"),
    "amqp": ("triggers", "io.kestra.plugin.amqp.RealtimeTrigger", "aio_pika"),
    "mqtt": ("triggers", "io.kestra.plugin.mqtt.Trigger", "aiomqtt"),
    "nats": ("triggers", "io.kestra.plugin.nats.RealtimeTrigger", "nats"),
    "kafka": ("triggers", "io.kestra.plugin.kafka.RealtimeTrigger", "aiokafka"),
    "mysql": ("tasks", "io.kestra.plugin.jdbc.mysql.Query", "pymysql"),
}


@pytest.mark.parametrize("extra", sorted(USES))
def test_a_flow_using_a_client_whose_extra_is_missing_fails_validation_naming_the_extra(
        extra: str, tmp_path: Path) -> None:
    where, kind, module = USES[extra]
    use = f"  - id: u\n    type: {kind}\n    url: x://localhost\n"
    body = f"tasks:\n{use}" if where == "tasks" else f"tasks:\n{LOG}triggers:\n{use}"
    (tmp_path / "flow.yaml").write_text(f"id: f\nnamespace: company.team\n{body}")
    done = subprocess.run([sys.executable, "-c", MISSING, "flow", "validate", "flow.yaml"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    singular = where[:-1]
    assert (f"{where}[0].type: {singular} type '{kind}' needs the Python package(s) {module}, not installed: "
            f"run pip install 'legato[{extra}]'") in done.stderr


def test_the_same_flows_validate_when_the_extras_are_installed(tmp_path: Path) -> None:
    (tmp_path / "flow.yaml").write_text(
        f"id: f\nnamespace: company.team\ntasks:\n{LOG}triggers:\n  - id: k\n    type: io.kestra.plugin.kafka.RealtimeTrigger\n"
        "    topic: orders\n    groupId: g\n    properties:\n      bootstrap.servers: localhost:9092\n")
    done = subprocess.run([sys.executable, "-c", CLI.format(blocked=()), "flow", "validate", "flow.yaml"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 valid, 0 invalid" in done.stdout


def test_s3_internal_storage_without_its_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "s3fs", None)
    with pytest.raises(StorageError, match=r"needs the Python package s3fs, not installed: run pip install 'legato\[s3\]'"):
        S3Storage("bucket", "prefix")
