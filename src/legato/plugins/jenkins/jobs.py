"""io.kestra.plugin.jenkins.JobBuild and JobInfo: start a job's build (`POST job/<name>/buildWithParameters`,
the parameters as a form) and read a build's JSON (`GET job/<name>/<number>/api/json`), with HTTP basic auth by
user name and API token. A foldered job (`team/project/job`) becomes `job/team/job/project/job/job`, each segment
URL-encoded. The server passes the same SSRF guard as the HTTP tasks, on their client (`httpclient`): the request
goes to the address the guard checked."""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import quote, urlencode, urlsplit

from pydantic import AliasChoices, Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import httpclient, netguard
from legato.plugins.runnable import Expression, RunnableTask, render_as, render_optional, render_optional_text

TIMEOUT = 30.0


class JenkinsTask(RunnableTask):
    """Where Jenkins is and how to log in."""

    serverUrl: str = Field(validation_alias=AliasChoices("serverUrl", "serverUri"),
                           description="Jenkins' address, e.g. http://jenkins.example.com:8080 (`serverUri`, as Kestra's examples spell it, is accepted too).")
    username: str | None = Field(default=None, description="The Jenkins user.")
    apiToken: str | None = Field(default=None, description="The user's API token (or password); use secret().")
    options: dict[str, Any] | None = Field(default=None, description="HTTP client options; `timeout` (seconds) is used, the rest accepted for compatibility.")

    def job_url(self, ctx: RunContext, job: str) -> str:
        base = ctx.render_string(self.serverUrl).strip()
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TaskFailed(f"property 'serverUrl': {base!r} is not an http(s) address")
        netguard.resolve_checked(parts.hostname, parts.port or 80, "the Jenkins host ")
        path = "/".join("job/" + quote(segment, safe="") for segment in job.strip("/").split("/"))
        return base.rstrip("/") + "/" + path

    async def request(self, ctx: RunContext, method: str, url: str, **kwargs: Any) -> Any:
        import httpx

        user, token = render_optional_text(ctx, self.username), render_optional_text(ctx, self.apiToken)
        auth = httpx.BasicAuth(user or "", token or "") if user or token else None
        timeout = float((self.options or {}).get("timeout") or TIMEOUT)
        try:
            async with httpclient.client(auth=auth, timeout=httpx.Timeout(timeout)) as client:
                response = await client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise TaskFailed(f"cannot reach Jenkins at {url}: {exc}") from None
        if response.status_code >= 400:
            detail = response.text.strip().splitlines()[0][:200] if response.text.strip() else ""
            raise TaskFailed(f"Jenkins answered {response.status_code} to {method} {url}" + (f": {detail}" if detail else ""))
        return response


@TASKS.register
class JobBuild(JenkinsTask):
    """Start a build of a Jenkins job, with parameters; outputs.status is Jenkins' HTTP status (201: queued)."""

    TYPE: ClassVar[str] = "io.kestra.plugin.jenkins.JobBuild"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: build
type: io.kestra.plugin.jenkins.JobBuild
jobName: deploy-app
serverUrl: http://localhost:8080
username: admin
apiToken: "{{ secret('JENKINS_API_TOKEN') }}"
parameters:
  branch: main
  environment:
    - staging
""",
    )

    jobName: str = Field(description="The job, or its path in folders (team/project/job).")
    parameters: dict[str, Any] | Expression | None = Field(default=None, description="The build's parameters, sent as a form (a list gives the parameter once per value).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        job = ctx.render_string(self.jobName)
        params = render_optional(ctx, self.parameters, dict[str, Any], "parameters") or {}
        form = [(str(k), _text(item)) for k, v in params.items() for item in (v if isinstance(v, list) else [v])]
        url = self.job_url(ctx, job) + "/buildWithParameters"
        response = await self.request(ctx, "POST", url, content=urlencode(form),
                                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        ctx.logger.info(f"Triggered job '{job}' with status code: {response.status_code}")
        return {"status": response.status_code}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


@TASKS.register
class JobInfo(JenkinsTask):
    """Read a build of a Jenkins job: outputs.info is Jenkins' JSON for it (result, building, duration...)."""

    TYPE: ClassVar[str] = "io.kestra.plugin.jenkins.JobInfo"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: info
type: io.kestra.plugin.jenkins.JobInfo
jobName: deploy-app
buildNumber: 42
serverUrl: http://localhost:8080
username: admin
apiToken: "{{ secret('JENKINS_API_TOKEN') }}"
""",
    )

    jobName: str = Field(description="The job, or its path in folders (team/project/job).")
    buildNumber: int | Expression = Field(description="The build's number.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        job = ctx.render_string(self.jobName)
        number = int(render_as(ctx, self.buildNumber, int, "buildNumber"))
        url = f"{self.job_url(ctx, job)}/{number}/api/json"
        response = await self.request(ctx, "GET", url)
        try:
            info = response.json()
        except ValueError:
            raise TaskFailed(f"Jenkins did not answer JSON at {url}") from None
        return {"info": info}
