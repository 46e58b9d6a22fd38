"""Secret values kept out of API responses.

Legato has no secret store yet; the secrets an execution holds are the values of its flow's SECRET inputs.
Responses that show inputs, outputs or log lines of an execution replace those values with `******`,
wherever they appear in text (legato.expressions.Masker does the replacing).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from legato import sealing
from legato.expressions import Masker
from legato.model.execution import Execution

if TYPE_CHECKING:
    from legato.api.context import ApiContext

M = TypeVar("M", bound=BaseModel)


def secret_input_ids(ctx: ApiContext, namespace: str, flow_id: str, revision: int) -> tuple[str, ...]:
    """Ids of the SECRET inputs of one flow revision (none when the revision is gone); the parsed revision
    comes from the process's Flows, so a revision is read and parsed once."""
    flow = ctx.flows.revision(ctx.store, namespace, flow_id, revision)
    return tuple(i.id for i in flow.inputs or () if i.type == "SECRET") if flow is not None else ()


def masker_for(ctx: ApiContext, execution: Execution) -> Masker | None:
    """A Masker knowing the execution's secret values, or None when it has none."""
    ids = secret_input_ids(ctx, execution.namespace, execution.flow_id, execution.flow_revision)
    values = [_nested(execution.inputs, i) for i in ids]
    texts = [str(v) for v in values if v not in (None, "")]
    for sealed in sealing.sealed_values(execution.inputs):  # the stored form and the text it holds
        texts.append(sealed)
        with contextlib.suppress(sealing.SealingError):
            texts.append(sealing.unseal(sealed))
    if not texts:
        return None
    masker = Masker()
    for text in texts:
        masker.placeholder(text)
    return masker


def _nested(inputs: dict[str, Any], input_id: str) -> Any:
    value: Any = inputs
    for part in input_id.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def mask(value: Any, masker: Masker | None) -> Any:
    """`value` (JSON-like) with every secret replaced in its strings (keys included)."""
    if masker is None:
        return value
    if isinstance(value, str):
        return masker.mask(value)
    if isinstance(value, dict):
        return {mask(k, masker) if isinstance(k, str) else k: mask(v, masker) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask(v, masker) for v in value]
    return value


def mask_model(model: M, masker: Masker | None) -> M:
    """`model` with every secret replaced in its strings: its JSON form, as sent, masked and read back."""
    if masker is None:
        return model
    return type(model).model_validate(mask(model.model_dump(mode="json", by_alias=True), masker))
