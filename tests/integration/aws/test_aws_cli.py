"""io.kestra.plugin.aws.cli.AwsCLI: the real `aws` command (awscli, the `aws` extra) run by the process runner
against moto's emulator, with the task's credentials, region, endpoint and output format in its environment.
The sandbox shares the host's network here (LEGATO_SCRIPT_NETWORK=host), as the emulator listens on 127.0.0.1."""

from __future__ import annotations

import json
import uuid

import pytest
from tests.integration.aws.conftest import client
from tests.integration.objectstore_support import Tasks

from legato.plugins.context import TaskFailed


@pytest.fixture(autouse=True)
def _host_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_SCRIPT_NETWORK", "host")


def test_commands_run_with_the_connection_in_the_environment(tasks: Tasks, aws: str, moto_endpoint: str) -> None:
    bucket = f"cli-{uuid.uuid4().hex[:8]}"
    outputs = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.cli.AwsCLI\n{aws}outputFiles:\n  - listing.json\n"
                        f"commands:\n  - aws s3 mb s3://{bucket}\n  - echo hello > hello.txt\n"
                        f"  - aws s3 cp hello.txt s3://{bucket}/greetings/hello.txt\n"
                        f"  - aws s3api list-objects-v2 --bucket {bucket} > listing.json\n"
                        "  - 'echo \"::{\\\"outputs\\\": {\\\"format\\\": \\\"$AWS_DEFAULT_OUTPUT\\\"}}::\"'\n")
    assert outputs["exitCode"] == 0
    assert outputs["vars"]["format"] == "json"
    listing = json.loads(tasks.read(outputs["outputFiles"]["listing.json"]))
    assert [o["Key"] for o in listing["Contents"]] == ["greetings/hello.txt"]
    body = client(moto_endpoint, "s3").get_object(Bucket=bucket, Key="greetings/hello.txt")["Body"].read()
    assert body == b"hello\n"


def test_a_failing_command_fails_the_task_with_its_exit_code(tasks: Tasks, aws: str) -> None:
    with pytest.raises(TaskFailed, match=r"exit code 255:\s+An error occurred \(NoSuchBucket\)"):
        tasks.run(f"id: t\ntype: io.kestra.plugin.aws.cli.AwsCLI\n{aws}commands:\n  - aws s3 ls s3://no-such-bucket-here\n")
