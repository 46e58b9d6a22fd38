"""The base of every model read from YAML."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


class Frozen(BaseModel):
    """Base of every model read from YAML: immutable, and a misspelt property is an error."""

    # defer_build: a model's validator is built when first used, not when its class is made: a process pays only for
    # the types it validates (a flow's), not for every type imported (`legato flow validate` ~0.1 s less).
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)

    @model_validator(mode="before")
    @classmethod
    def _null_is_unset(cls, data: Any) -> Any:
        """An explicit `null` for an optional property means "not set" (its default), as Kestra reads it."""
        if not isinstance(data, dict) or None not in data.values():
            return data
        optional = {n for name, f in cls.model_fields.items() if not f.is_required()
                    for n in (name, f.alias) if n is not None}
        return {k: v for k, v in data.items() if v is not None or k not in optional}
