"""Secret values kept out of API responses.

Legato has no secret store yet; the secrets an execution holds are the values of its flow's SECRET inputs.
Responses that show inputs, outputs or log lines of an execution replace those values with `******`,
wherever they appear in text (legato.expressions.Masker does the replacing).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from legato.api import sources
from legato.expressions import Masker
from legato.model.execution import Execution
from legato.store.ports import Store

_CACHE_SIZE = 4096
_lock = threading.Lock()
# (namespace, flow id, revision) -> ids of SECRET inputs; a revision never changes, so entries never go stale
_secret_ids: OrderedDict[tuple[str, str, int], tuple[str, ...]] = OrderedDict()


def secret_input_ids(store: Store, namespace: str, flow_id: str, revision: int) -> tuple[str, ...]:
    """Ids of the SECRET inputs of one flow revision (none when the revision is gone)."""
    key = (namespace, flow_id, revision)
    with _lock:
        if key in _secret_ids:
            _secret_ids.move_to_end(key)
            return _secret_ids[key]
    record = store.get_flow(namespace, flow_id, revision)
    ids: tuple[str, ...] = ()
    if record is not None:
        flow = sources.cached_flow(record.source)
        ids = tuple(i.id for i in flow.inputs or () if i.type == "SECRET")
    with _lock:
        _secret_ids[key] = ids
        if len(_secret_ids) > _CACHE_SIZE:
            _secret_ids.popitem(last=False)
    return ids


def masker_for(store: Store, execution: Execution) -> Masker | None:
    """A Masker knowing the execution's secret values, or None when it has none."""
    ids = secret_input_ids(store, execution.namespace, execution.flow_id, execution.flow_revision)
    values = [_nested(execution.inputs, i) for i in ids]
    texts = [str(v) for v in values if v not in (None, "")]
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
