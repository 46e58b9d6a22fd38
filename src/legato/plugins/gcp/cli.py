"""Kestra's `io.kestra.plugin.gcp.cli.GCloudCLI`: `gcloud` command lines with the task's service account key
written to a file in the working directory (GOOGLE_APPLICATION_CREDENTIALS and CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE
point at it) and `projectId` as CLOUDSDK_CORE_PROJECT. Container runners use `containerImage` (default
google/cloud-sdk); the process runner needs the Google Cloud CLI on the worker's PATH."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.gcp.connection import KESTRA
from legato.plugins.scripts.base import CommandLines, Tooling
from legato.runners.base import Runner

KEY_FILE = ".legato-gcloud-key.json"


@TASKS.register
class GCloudCLI(CommandLines):
    """Run Google Cloud CLI command lines (`gcloud storage ls`, `bq`, `gsutil`), authenticated by the task's
    service account key."""

    TYPE: ClassVar[str] = "gcp.cli.GCloudCLI"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.cli.GCloudCLI",)
    DEFAULT_IMAGE: ClassVar[str] = "google/cloud-sdk"
    EXAMPLES: ClassVar[tuple[str, ...]] = ("""\
id: gcloud
type: io.kestra.plugin.gcp.cli.GCloudCLI
serviceAccount: "{{ secret('GCP_CREDS') }}"
projectId: my-project
outputFiles:
  - storage.json
commands:
  - gcloud storage ls --json > storage.json
""",)

    serviceAccount: str | None = Field(default=None, description="The service account key, as JSON text (rendered); written to a file the CLI uses.")
    projectId: str | None = Field(default=None, description="The default project (CLOUDSDK_CORE_PROJECT).")

    async def tooling(self, ctx: RunContext, runner: Runner, workdir: Path) -> Tooling:
        env: dict[str, str] = {}
        key = None if self.serviceAccount is None else ctx.render_string(self.serviceAccount).strip()
        if key:
            try:
                json.loads(key)
            except ValueError:
                raise TaskFailed("property 'serviceAccount' must be a service account key in JSON") from None
            path = workdir / KEY_FILE
            path.write_text(key, encoding="utf-8")
            path.chmod(0o600)
            visible = f"{runner.visible_workdir(workdir)}/{KEY_FILE}"
            env.update({"GOOGLE_APPLICATION_CREDENTIALS": visible, "CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE": visible})
        project = None if self.projectId is None else ctx.render_string(self.projectId).strip()
        if project:
            env["CLOUDSDK_CORE_PROJECT"] = project
        for name in list(env):
            if self.env and name in self.env:
                del env[name]  # the task's own `env` wins
        if runner.name != "docker" and shutil.which("gcloud") is None:
            ctx.logger.warn("gcloud is not on the worker's PATH: install the Google Cloud CLI, or run this task with "
                            f"a docker taskRunner ({self.DEFAULT_IMAGE})")
        return Tooling(env=env)
