"""The connection properties every AWS task and trigger shares (Kestra's AbstractConnection): region, endpoint,
static credentials or an STS role to assume; and the boto3 client made from them. Unset credentials fall back
on boto3's usual chain (environment variables, shared files, instance roles); an unset endpoint on
AWS_ENDPOINT_URL when it is set."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import Field

from legato.model import durations
from legato.model.durations import Duration
from legato.model.task import Frozen
from legato.plugins.context import TaskFailed
from legato.plugins.runnable import Expression, RunnableTask

KESTRA = "io.kestra.plugin.aws"
Render = Callable[[Any], Any]


class AwsConnection(Frozen):
    """The connection fields, mixed into tasks and triggers."""

    region: str | None = Field(default=None, description="AWS region (rendered); us-east-1 when unset and none is configured.")
    endpointOverride: str | None = Field(
        default=None, description="URL of the service endpoint, for S3-compatible servers or local emulators (rendered).")
    accessKeyId: str | None = Field(default=None, description="Access key id (rendered); unset: boto3's default credential chain.")
    secretKeyId: str | None = Field(default=None, description="Secret access key (rendered).")
    sessionToken: str | None = Field(default=None, description="Session token of temporary credentials (rendered).")
    stsRoleArn: str | None = Field(default=None, description="ARN of an IAM role to assume through STS before calling the service (rendered).")
    stsRoleExternalId: str | None = Field(default=None, description="External id given when assuming stsRoleArn (rendered).")
    stsRoleSessionName: str | None = Field(default=None, description="Session name when assuming stsRoleArn (rendered).")
    stsEndpointOverride: str | None = Field(default=None, description="URL of the STS endpoint (rendered).")
    stsRoleSessionDuration: Duration | Expression = Field(
        default="PT15M", description="How long the assumed role's credentials last (ISO-8601 duration, at least PT15M).")
    compatibilityMode: bool | Expression = Field(
        default=False, description="Kestra compatibility (its S3-compatible client switch): accepted, boto3 needs none.")
    forcePathStyle: bool | Expression = Field(
        default=False, description="Address buckets as https://host/bucket rather than https://bucket.host.")


def _text(render: Render, value: Any) -> str | None:
    return None if value is None else (str(render(value)) or None)


def _flag(render: Render, value: Any, prop: str) -> bool:
    rendered = render(value) if isinstance(value, str) else value
    if isinstance(rendered, bool):
        return rendered
    if str(rendered).strip().lower() in ("true", "false"):
        return str(rendered).strip().lower() == "true"
    raise TaskFailed(f"property '{prop}': {rendered!r} is not a boolean")


def client(conn: AwsConnection, render: Render, service: str) -> Any:
    """A boto3 client of `service` configured from the rendered connection properties."""
    import boto3
    import botocore.config

    endpoint = _text(render, conn.endpointOverride)
    path_style = _flag(render, conn.forcePathStyle, "forcePathStyle") or endpoint is not None
    config = botocore.config.Config(s3={"addressing_style": "path"} if path_style else {},
                                    retries={"max_attempts": 3}, connect_timeout=30, read_timeout=120)
    session = boto3.session.Session(region_name=_text(render, conn.region) or None)
    credentials = {"aws_access_key_id": _text(render, conn.accessKeyId),
                   "aws_secret_access_key": _text(render, conn.secretKeyId),
                   "aws_session_token": _text(render, conn.sessionToken)}
    role = _text(render, conn.stsRoleArn)
    if role is not None:
        credentials = _assumed(conn, render, session, credentials, role)
    region = session.region_name or "us-east-1"
    return session.client(service, region_name=region, endpoint_url=endpoint, config=config, **credentials)


def _assumed(conn: AwsConnection, render: Render, session: Any, credentials: dict[str, Any], role: str) -> dict[str, Any]:
    seconds = int(durations.resolve(conn.stsRoleSessionDuration, lambda v: str(render(v))).total_seconds())  # type: ignore[union-attr]
    sts = session.client("sts", region_name=session.region_name or "us-east-1",
                         endpoint_url=_text(render, conn.stsEndpointOverride), **credentials)
    request: dict[str, Any] = {"RoleArn": role, "RoleSessionName": _text(render, conn.stsRoleSessionName) or "legato",
                               "DurationSeconds": max(seconds, 900)}
    external = _text(render, conn.stsRoleExternalId)
    if external is not None:
        request["ExternalId"] = external
    given = sts.assume_role(**request)["Credentials"]
    return {"aws_access_key_id": given["AccessKeyId"], "aws_secret_access_key": given["SecretAccessKey"],
            "aws_session_token": given["SessionToken"]}


def failure(exc: Exception, what: str) -> TaskFailed:
    """A client error as a task failure that says what was being done and what AWS answered."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        error = response["Error"]
        return TaskFailed(f"{what}: {error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": "))
    return TaskFailed(f"{what}: {exc}")


class AwsTask(RunnableTask, AwsConnection):
    """A task that calls an AWS service through boto3 (the `aws` extra)."""

    REQUIRES: ClassVar[tuple[str, ...]] = ("boto3",)
    EXTRA: ClassVar[str] = "aws"
