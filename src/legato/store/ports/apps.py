"""The apps aggregate: apps' YAML sources, with what lists and the app pages look up by (namespace, flow, access)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from legato.store.ports.governance import TENANT


@dataclass(frozen=True)
class AppRecord:
    """A stored app: its YAML as written, and the fields lists and access checks read without parsing it."""

    id: str
    namespace: str
    flow_id: str
    display_name: str
    access: str  # PUBLIC or PRIVATE
    source: str
    created: datetime
    updated: datetime
    tenant: str = TENANT


class AppStore(Protocol):
    def save_app(self, record: AppRecord) -> AppRecord:
        """Create or replace an app (a replaced one keeps its creation date); the stored record."""
        ...

    def get_app(self, app_id: str, tenant: str = TENANT) -> AppRecord | None: ...

    def list_apps(self, namespace: str | None = None, tenant: str = TENANT) -> list[AppRecord]:
        """The apps of `tenant` (in `namespace` and its children when given), by display name then id."""
        ...

    def delete_app(self, app_id: str, tenant: str = TENANT) -> bool:
        """Delete an app; True when it existed."""
        ...
