"""The connection properties every Azure Blob Storage task and trigger shares (Kestra's AbstractStorage with SAS):
the blob service endpoint and one way to authenticate (a connection string, a shared key, or a SAS token); and
the azure-storage-blob client made from them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import Frozen
from legato.plugins.context import TaskFailed
from legato.plugins.runnable import RunnableTask

KESTRA = "io.kestra.plugin.azure.storage.blob"
Render = Callable[[Any], Any]


class AzureConnection(Frozen):
    """The connection fields, mixed into tasks and triggers."""

    endpoint: str | None = Field(
        default=None, description="The blob service endpoint, e.g. https://account.blob.core.windows.net (rendered); may be left out with a connectionString that names it.")
    connectionString: str | None = Field(default=None, description="The storage account's connection string (rendered).")
    sharedKeyAccountName: str | None = Field(default=None, description="The account name of shared-key authentication (rendered).")
    sharedKeyAccountAccessKey: str | None = Field(default=None, description="The account key of shared-key authentication (rendered).")
    sasToken: str | None = Field(default=None, description="A shared access signature token (rendered).")


def _text(render: Render, value: Any) -> str | None:
    return None if value is None else (str(render(value)).strip() or None)


def service_client(conn: AzureConnection, render: Render) -> Any:
    """A BlobServiceClient from the rendered properties: connection string first, then shared key, then SAS."""
    from azure.storage.blob import BlobServiceClient

    endpoint = _text(render, conn.endpoint)
    connection_string = _text(render, conn.connectionString)
    if connection_string is not None:
        try:
            if endpoint is not None and "BlobEndpoint=" not in connection_string:
                return BlobServiceClient(account_url=endpoint, credential=_shared_key(connection_string))
            return BlobServiceClient.from_connection_string(connection_string)
        except ValueError as exc:
            raise TaskFailed(f"property 'connectionString' is not a valid connection string: {exc}") from None
    if endpoint is None:
        raise TaskFailed("property 'endpoint' is required unless connectionString names the blob endpoint")
    name, key = _text(render, conn.sharedKeyAccountName), _text(render, conn.sharedKeyAccountAccessKey)
    if name is not None and key is not None:
        return BlobServiceClient(account_url=endpoint, credential={"account_name": name, "account_key": key})
    sas = _text(render, conn.sasToken)
    if sas is not None:
        return BlobServiceClient(account_url=endpoint, credential=sas.lstrip("?"))
    raise TaskFailed("no Azure credentials: set connectionString, sharedKeyAccountName and sharedKeyAccountAccessKey, or sasToken")


def _shared_key(connection_string: str) -> dict[str, str]:
    parts = dict(p.split("=", 1) for p in connection_string.split(";") if "=" in p)
    if "AccountName" not in parts or "AccountKey" not in parts:
        raise ValueError("it names no AccountName and AccountKey")
    return {"account_name": parts["AccountName"], "account_key": parts["AccountKey"]}


def failure(exc: Exception, what: str) -> TaskFailed:
    """A client error as a task failure that says what was being done and what the service answered."""
    code = getattr(exc, "error_code", None)
    code = getattr(code, "value", code)  # a StorageErrorCode, or the service's text
    message = (getattr(exc, "reason", None) or str(exc).splitlines()[0]) if str(exc) else type(exc).__name__
    return TaskFailed(f"{what}: {code}: {message}" if code else f"{what}: {message}")


class AzureTask(RunnableTask, AzureConnection):
    """A task that calls Azure Blob Storage through azure-storage-blob (the `azure` extra)."""

    REQUIRES: ClassVar[tuple[str, ...]] = ("azure.storage.blob",)
    EXTRA: ClassVar[str] = "azure"
