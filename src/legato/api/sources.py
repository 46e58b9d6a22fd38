"""Flows as JSON, as the API shows them (the YAML as written plus what the server knows about the revision)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from legato.api import dto
from legato.model.loader import load_yaml_value
from legato.store.ports import FlowRecord


@lru_cache(maxsize=1024)
def _raw(source: str) -> Any:
    return load_yaml_value(source)


def flow_dto(record: FlowRecord, *, source: bool = False) -> dto.FlowDto:
    """The flow as written (YAML as JSON) plus what the server knows about the revision."""
    raw = _raw(record.source)
    body: dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}
    body.update(id=record.id, namespace=record.namespace, revision=record.revision, disabled=record.disabled,
                deleted=record.deleted, updated=record.updated)
    if source:
        body["source"] = record.source
    return dto.FlowDto.model_validate(body)
