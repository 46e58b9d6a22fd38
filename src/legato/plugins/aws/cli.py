"""Kestra's `io.kestra.plugin.aws.cli.AwsCLI`: run `aws` command lines with the connection's credentials, region
and endpoint in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
AWS_DEFAULT_REGION, AWS_ENDPOINT_URL: `endpointOverride`, else the worker's own AWS_ENDPOINT_URL) and
AWS_DEFAULT_OUTPUT set from `outputFormat`. The process and sandbox runners use the `aws` command of the `aws`
extra (awscli); container runners use `containerImage`."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.aws import connection
from legato.plugins.aws.connection import KESTRA, AwsConnection
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.scripts.base import CommandLines, Tooling
from legato.runners.base import Runner


@TASKS.register
class AwsCLI(CommandLines, AwsConnection):
    """Run AWS CLI command lines (`aws s3 ls`, `aws sts get-caller-identity`, ...), authenticated by the task's
    connection properties."""

    TYPE: ClassVar[str] = "aws.cli.AwsCLI"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.cli.AwsCLI",)
    REQUIRES: ClassVar[tuple[str, ...]] = ("awscli",)
    EXTRA: ClassVar[str] = "aws"
    DEFAULT_IMAGE: ClassVar[str] = "amazon/aws-cli"
    EXAMPLES: ClassVar[tuple[str, ...]] = ("""\
id: aws_cli
type: io.kestra.plugin.aws.cli.AwsCLI
accessKeyId: "{{ secret('AWS_ACCESS_KEY_ID') }}"
secretKeyId: "{{ secret('AWS_SECRET_KEY_ID') }}"
region: us-east-1
commands:
  - aws s3 ls
""",)

    outputFormat: Literal["JSON", "TEXT", "TABLE", "YAML"] = Field(
        default="JSON", description="The CLI's output format (AWS_DEFAULT_OUTPUT); flags on a command line take precedence.")
    stsCredentialSource: Literal["ENVIRONMENT", "EC2_INSTANCE_METADATA", "ECS_CONTAINER"] | None = Field(
        default=None, description="Kestra compatibility: where the CLI reads the credentials of the role to assume; the role is assumed by Legato before the run.")

    async def tooling(self, ctx: RunContext, runner: Runner, workdir: Path) -> Tooling:
        env = self._credentials(ctx)
        env["AWS_DEFAULT_OUTPUT"] = self.outputFormat.lower()
        for name in list(env):
            if self.env and name in self.env:
                del env[name]  # the task's own `env` wins, as in Kestra
        if runner.name == "docker":
            return Tooling(env=env)
        return Tooling(path=[_aws_folder()], env=env)

    def _credentials(self, ctx: RunContext) -> dict[str, str]:
        render = ctx.render
        values = {"AWS_ACCESS_KEY_ID": self.accessKeyId, "AWS_SECRET_ACCESS_KEY": self.secretKeyId,
                  "AWS_SESSION_TOKEN": self.sessionToken, "AWS_DEFAULT_REGION": self.region,
                  "AWS_ENDPOINT_URL": self.endpointOverride}
        env = {k: str(render(v)) for k, v in values.items() if v is not None and str(render(v))}
        if "AWS_ENDPOINT_URL" not in env and os.environ.get("AWS_ENDPOINT_URL"):
            # the worker's endpoint (an S3-compatible server), which its boto3 tasks use too: not a credential
            env["AWS_ENDPOINT_URL"] = os.environ["AWS_ENDPOINT_URL"]
        if self.stsRoleArn is not None:
            import boto3

            session = boto3.session.Session(region_name=env.get("AWS_DEFAULT_REGION"))
            given = connection._assumed(self, render, session, {
                "aws_access_key_id": env.get("AWS_ACCESS_KEY_ID"), "aws_secret_access_key": env.get("AWS_SECRET_ACCESS_KEY"),
                "aws_session_token": env.get("AWS_SESSION_TOKEN")}, str(render(self.stsRoleArn)))
            env.update({"AWS_ACCESS_KEY_ID": given["aws_access_key_id"], "AWS_SECRET_ACCESS_KEY": given["aws_secret_access_key"],
                        "AWS_SESSION_TOKEN": given["aws_session_token"]})
        return env


def _aws_folder() -> Path:
    """The folder of the `aws` command installed with Legato (beside its interpreter), else the one on PATH."""
    beside = Path(sys.executable).parent
    if (beside / "aws").exists():
        return beside
    found = shutil.which("aws")
    if found is None:
        raise TaskFailed("the aws command is not installed: run pip install 'legato[aws]'")
    return Path(found).parent


