"""Secret values kept out of API responses.

Legato has no secret store yet; the secrets an execution holds are the values of its flow's SECRET inputs.
Responses that show inputs, outputs or log lines of an execution replace those values with `******` in
their string values (legato.expressions.Masker does the replacing, see its MIN_IN_TEXT rule), never in their
keys nor in the fields the engine writes (ids, states, instants): a masked response keeps its shape.
"""

from __future__ import annotations

import contextlib
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from legato import sealing
from legato.expressions import Masker
from legato.model.execution import Execution
from legato.store.ports import MAIN

if TYPE_CHECKING:
    from legato.api.context import ApiContext

M = TypeVar("M", bound=BaseModel)

# Fields of the response models the engine writes itself (identifiers, states, instants): never data a secret
# can reach, so never masked (a secret "SUCCESS" or "2026" leaves states and dates readable).
ENGINE_FIELDS = frozenset({
    "id", "namespace", "flow_id", "flow_revision", "execution_id", "task_id", "parent_task_run_id", "parent_id",
    "original_id", "state", "schedule_date", "worker_id", "runner", "stage", "shown_stage",
})


def secret_input_ids(ctx: ApiContext, namespace: str, flow_id: str, revision: int,
                     tenant: str = MAIN) -> tuple[str, ...]:
    """Ids of the SECRET inputs of one flow revision (none when the revision is gone); the parsed revision
    comes from the process's Flows, so a revision is read and parsed once."""
    flow = ctx.flows.revision(ctx.store, namespace, flow_id, revision, tenant=tenant)
    return tuple(i.id for i in flow.inputs or () if i.type == "SECRET") if flow is not None else ()


def masker_for(ctx: ApiContext, execution: Execution) -> Masker | None:
    """A Masker knowing the execution's secret values, or None when it has none."""
    ids = secret_input_ids(ctx, execution.namespace, execution.flow_id, execution.flow_revision, execution.tenant)
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
    """`value` (JSON-like) with every secret replaced in its string values; keys are left as they are."""
    if masker is None:
        return value
    if isinstance(value, str) and not isinstance(value, Enum):
        return masker.mask(value)
    if isinstance(value, BaseModel):
        names = [*type(value).model_fields, *(value.model_extra or {})]
        return value.model_copy(update={name: mask(getattr(value, name), masker)
                                        for name in names if name not in ENGINE_FIELDS})
    if isinstance(value, dict):
        return {k: mask(v, masker) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask(v, masker) for v in value]
    return value


def mask_model(model: M, masker: Masker | None) -> M:
    """`model` with every secret replaced in its string values, walked field by field: keys, enums, numbers and
    the ENGINE_FIELDS are left as they are, and nothing is validated again (masking cannot fail a response)."""
    result: M = mask(model, masker)
    return result
