"""The connection properties every GCP task and trigger shares (Kestra's AbstractTask): project, service account
key, impersonation and scopes; and the Cloud Storage client made from them. Without a service account key the
client uses Application Default Credentials. With STORAGE_EMULATOR_HOST set (the worker talks to a local
emulator, as Google's libraries allow) it sends no credentials, so flows written for GCP run there unchanged."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import Frozen
from legato.plugins.context import TaskFailed
from legato.plugins.runnable import RunnableTask

KESTRA = "io.kestra.plugin.gcp"
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
Render = Callable[[Any], Any]


class GcpConnection(Frozen):
    """The connection fields, mixed into tasks and triggers."""

    projectId: str | None = Field(default=None, description="The GCP project id (rendered); the credentials' project when unset.")
    serviceAccount: str | None = Field(
        default=None, description="The service account key, as JSON text (rendered, typically `{{ secret('GCP_SERVICE_ACCOUNT_JSON') }}`); unset: Application Default Credentials.")
    impersonatedServiceAccount: str | None = Field(default=None, description="A service account (email) to impersonate with the credentials (rendered).")
    scopes: list[str] = Field(default_factory=lambda: [CLOUD_PLATFORM], description="The OAuth scopes of the credentials.")


def _text(render: Render, value: Any) -> str | None:
    return None if value is None else (str(render(value)).strip() or None)


def credentials(conn: GcpConnection, render: Render) -> tuple[Any, str | None]:
    """The credentials and project the properties describe (None credentials: the library's default)."""
    scopes = [str(render(s)) for s in conn.scopes]
    project = _text(render, conn.projectId)
    key = _text(render, conn.serviceAccount)
    if os.environ.get("STORAGE_EMULATOR_HOST"):
        from google.auth.credentials import AnonymousCredentials

        return AnonymousCredentials(), project  # type: ignore[no-untyped-call]
    if key is not None:
        from google.oauth2 import service_account

        try:
            info = json.loads(key)
        except ValueError:
            raise TaskFailed("property 'serviceAccount' must be a service account key in JSON") from None
        found: Any = service_account.Credentials.from_service_account_info(info, scopes=scopes)  # type: ignore[no-untyped-call]
        project = project or info.get("project_id")
    else:
        import google.auth

        try:
            found, default_project = google.auth.default(scopes=scopes)
        except Exception as exc:
            raise TaskFailed(f"no GCP credentials: set serviceAccount, or configure Application Default Credentials ({exc})") from None
        project = project or default_project
    target = _text(render, conn.impersonatedServiceAccount)
    if target is not None:
        from google.auth import impersonated_credentials

        found = impersonated_credentials.Credentials(source_credentials=found, target_principal=target, target_scopes=scopes)  # type: ignore[no-untyped-call]
    return found, project


def storage_client(conn: GcpConnection, render: Render) -> Any:
    """A Cloud Storage client configured from the rendered properties."""
    import google.cloud.storage as storage

    found, project = credentials(conn, render)
    return storage.Client(project=project or "legato", credentials=found)


def failure(exc: Exception, what: str) -> TaskFailed:
    """A client error as a task failure that says what was being done and what Cloud Storage answered."""
    message = getattr(exc, "message", None) or str(exc)
    code = getattr(exc, "code", None)
    return TaskFailed(f"{what}: {code} {message}" if code else f"{what}: {message}")


class GcpTask(RunnableTask, GcpConnection):
    """A task that calls a GCP service through Google's client libraries (the `gcp` extra)."""

    REQUIRES: ClassVar[tuple[str, ...]] = ("google.cloud.storage",)
    EXTRA: ClassVar[str] = "gcp"
