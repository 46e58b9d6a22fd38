"""Kestra Enterprise's cloud batch task runners are refused with an error naming the service Legato cannot hand the
command to and what to use instead, at the YAML line of the runner (not pydantic's list of expected tags)."""

from __future__ import annotations

import pytest

from legato.flows import parse_flow
from legato.model.errors import FlowValidationError

FLOW = """\
id: batch
namespace: company.team
tasks:
  - id: job
    type: io.kestra.plugin.scripts.python.Commands
    taskRunner:
      type: {runner}
      jobQueueArn: arn:aws:batch:eu-west-1:123456789012:job-queue/q
      region: eu-west-1
    commands:
      - python --version
"""


@pytest.mark.parametrize(("runner", "service"), [
    ("io.kestra.plugin.ee.aws.runner.Batch", "AWS Batch"),
    ("io.kestra.plugin.aws.runner.AwsBatchTaskRunner", "AWS Batch"),
    ("io.kestra.plugin.ee.gcp.runner.CloudRun", "Google Cloud Run"),
    ("io.kestra.plugin.ee.azure.runner.Batch", "Azure Batch"),
])
def test_a_cloud_batch_runner_is_a_clear_validation_error(runner: str, service: str) -> None:
    with pytest.raises(FlowValidationError) as error:
        parse_flow(FLOW.format(runner=runner), "batch.yaml")
    message = str(error.value)
    assert f"batch.yaml:7:7: tasks[0].taskRunner: task runner '{runner}' (Kestra Enterprise's {service} runner)" in message
    assert "io.kestra.plugin.scripts.runner.docker.Docker" in message and "Input tag" not in message


def test_the_runners_legato_has_still_validate() -> None:
    flow = parse_flow(FLOW.format(runner="io.kestra.plugin.scripts.runner.docker.Docker")
                      .replace("      jobQueueArn: arn:aws:batch:eu-west-1:123456789012:job-queue/q\n      region: eu-west-1\n", ""))
    assert flow.task("job").taskRunner.type == "io.kestra.plugin.scripts.runner.docker.Docker"  # type: ignore[attr-defined]
