"""Google credentials of the GCP tasks, as Kestra's: `serviceAccount` (a service account key's JSON text),
else the application default credentials; `impersonatedServiceAccount` acts as another account; `scopes`
(default cloud-platform). With BIGQUERY_EMULATOR_HOST set in the worker's environment the BigQuery client
talks to that emulator instead, anonymously."""

from __future__ import annotations

import json
import os
from typing import Any

from legato.plugins.context import TaskFailed

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
BIGQUERY_EMULATOR = "BIGQUERY_EMULATOR_HOST"


def credentials(service_account: str | None, impersonated: str | None, scopes: list[str]) -> tuple[Any, str | None]:
    """(credentials, the project they belong to when known)."""
    import google.auth
    from google.auth import impersonated_credentials
    from google.auth.exceptions import DefaultCredentialsError
    from google.oauth2 import service_account as sa

    project: str | None = None
    if service_account:
        try:
            info = json.loads(service_account)
        except ValueError:
            raise TaskFailed("property 'serviceAccount' must be a service account key's JSON text") from None
        try:
            creds: Any = sa.Credentials.from_service_account_info(info, scopes=scopes)  # type: ignore[no-untyped-call]
        except (ValueError, KeyError) as exc:
            raise TaskFailed(f"property 'serviceAccount': not a usable service account key: {exc}") from None
        project = info.get("project_id")
    else:
        try:
            creds, project = google.auth.default(scopes=scopes)
        except DefaultCredentialsError as exc:
            raise TaskFailed(f"no Google credentials: set 'serviceAccount' or configure application default credentials ({exc})") from None
    if impersonated:
        creds = impersonated_credentials.Credentials(  # type: ignore[no-untyped-call]
            source_credentials=creds, target_principal=impersonated, target_scopes=scopes)
    return creds, project


def bigquery_client(project: str | None, service_account: str | None, impersonated: str | None,
                    scopes: list[str], location: str | None) -> Any:
    from google.cloud import bigquery

    emulator = os.environ.get(BIGQUERY_EMULATOR)
    if emulator:
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials

        endpoint = emulator if "://" in emulator else f"http://{emulator}"
        return bigquery.Client(project=project or "test-project", credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
                               client_options=ClientOptions(api_endpoint=endpoint), location=location)
    creds, default_project = credentials(service_account, impersonated, scopes)
    chosen = project or default_project
    if not chosen:
        raise TaskFailed("property 'projectId' is required: the credentials name no project")
    return bigquery.Client(project=chosen, credentials=creds, location=location)
