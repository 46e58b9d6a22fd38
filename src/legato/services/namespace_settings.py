"""What a namespace itself carries (Kestra EE's Namespace): a description, variables and plugin defaults, read
and replaced as a whole. Kept as one JSON document per namespace in internal storage, next to the namespace's
files (kestra:///<namespace as folders>/_namespace.json), out of reach of tasks, which write only under
`_files` and their executions' folders. Every replacement is audited with its before and after."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from legato.identity.permissions import Action, Resource
from legato.model.flow import NAMESPACE_PATTERN
from legato.model.taskfield import PluginDefault
from legato.services import audit
from legato.services.principal import Principal, require
from legato.storage import Storage, StorageError
from legato.storage.uris import build_uri, namespace_segments
from legato.store.ports import AuditLog

VARIABLE_KEY = r"^[A-Za-z_][A-Za-z0-9_-]*$"
MAX_DOCUMENT = 256 * 1024  # a namespace's settings, as JSON; larger is surely a mistake
MAX_DESCRIPTION = 4096
_DEFAULTS = TypeAdapter(list[PluginDefault])


class InvalidNamespaceSettings(ValueError):
    """Namespace settings that cannot be kept (the message says which part and why)."""


@dataclass(frozen=True)
class NamespaceSettings:
    namespace: str
    description: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    plugin_defaults: list[dict[str, Any]] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        """The stored (and audited) form."""
        return {"description": self.description, "variables": self.variables, "pluginDefaults": self.plugin_defaults}


def get(storage: Storage, namespace: str, *, by: Principal) -> NamespaceSettings:
    """The settings of exactly `namespace` (empty ones when none were saved)."""
    require(by, Resource.NAMESPACE, Action.VIEW, namespace)
    return _read(storage, namespace)


def inherited(storage: Storage, namespace: str, *, by: Principal) -> list[NamespaceSettings]:
    """The settings of each parent of `namespace` that has some, nearest first (`a.b.c` → `a.b`, then `a`)."""
    require(by, Resource.NAMESPACE, Action.VIEW, namespace)
    parts = _check_namespace(namespace).split(".")
    parents = [".".join(parts[:n]) for n in range(len(parts) - 1, 0, -1)]
    found = [_read(storage, p) for p in parents]
    return [s for s in found if s.description or s.variables or s.plugin_defaults]


def put(storage: Storage, store: AuditLog, settings: NamespaceSettings, *, by: Principal,
        now: datetime) -> NamespaceSettings:
    """Replace the settings of `settings.namespace` (InvalidNamespaceSettings for a bad part)."""
    require(by, Resource.NAMESPACE, Action.UPDATE, settings.namespace)
    checked = _checked(settings)
    text = json.dumps(checked.document(), sort_keys=True, default=str)
    if len(text.encode()) > MAX_DOCUMENT:
        raise InvalidNamespaceSettings(f"namespace settings are larger than {MAX_DOCUMENT // 1024} KiB")
    before = _read(storage, checked.namespace)
    storage.put(_uri(checked.namespace), text.encode())
    audit.record(store, by, "UPDATE", "NAMESPACE", checked.namespace, namespace=checked.namespace, now=now,
                 details=audit.changed(before.document(), checked.document()))
    return checked


def _checked(settings: NamespaceSettings) -> NamespaceSettings:
    _check_namespace(settings.namespace)
    if settings.description is not None and len(settings.description) > MAX_DESCRIPTION:
        raise InvalidNamespaceSettings(f"the description is longer than {MAX_DESCRIPTION} characters")
    for key in settings.variables:
        if not re.match(VARIABLE_KEY, key):
            raise InvalidNamespaceSettings(
                f"variable {key!r}: a name starts with a letter or _ and has only letters, digits, _ and -")
    try:
        defaults = _DEFAULTS.validate_python(settings.plugin_defaults)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidNamespaceSettings(f"pluginDefaults[{where}]: {first['msg']}") from None
    shown = [d.model_dump(mode="json") for d in defaults]
    return NamespaceSettings(settings.namespace, settings.description or None, dict(settings.variables), shown)


def _check_namespace(namespace: str) -> str:
    if not re.match(NAMESPACE_PATTERN, namespace) or len(namespace) > 150:
        raise InvalidNamespaceSettings(f"{namespace!r} is not a namespace (lowercase letters, digits, '.', '_', '-')")
    try:
        namespace_segments(namespace)
    except StorageError as exc:
        raise InvalidNamespaceSettings(str(exc)) from None
    return namespace


def _uri(namespace: str) -> str:
    return build_uri(*namespace_segments(_check_namespace(namespace)), "_namespace.json")


def _read(storage: Storage, namespace: str) -> NamespaceSettings:
    uri = _uri(namespace)
    if not storage.exists(uri):
        return NamespaceSettings(namespace)
    raw = json.loads(storage.get(uri))
    return NamespaceSettings(namespace, raw.get("description"), dict(raw.get("variables") or {}),
                             list(raw.get("pluginDefaults") or []))
