"""Flows as JSON, as the API shows them (the YAML as written plus what the server knows about the revision)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from legato.model.loader import load_yaml_value
from legato.store.ports import FlowRecord


@lru_cache(maxsize=1024)
def _raw(source: str) -> Any:
    return load_yaml_value(source)


def flow_json(record: FlowRecord, *, source: bool = False) -> dict[str, Any]:
    """The flow as written (YAML as JSON) plus what the server knows about the revision."""
    raw = _raw(record.source)
    body: dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}
    body.update(id=record.id, namespace=record.namespace, revision=record.revision, disabled=record.disabled,
                deleted=record.deleted, updated=record.updated.isoformat())
    if source:
        body["source"] = record.source
    return body
