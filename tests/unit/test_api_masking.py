"""legato.api.masking masks the string values of a response, never its keys nor the fields the engine writes
(ids, states, instants), and never re-validates it: masking cannot turn a response into an error."""

from __future__ import annotations

import pytest

from legato.api import dto, masking
from legato.expressions import Masker
from legato.expressions.secrets import MASK


def _masker(*values: str) -> Masker:
    masker = Masker()
    for value in values:
        masker.placeholder(value)
    return masker


def _execution(secret: str) -> dto.ExecutionDto:
    state = dto.StateDto(current="SUCCESS", histories=[dto.StateHistory(state="SUCCESS", date="2026-12-07T05:00:00Z")],
                         start_date="2026-12-07T05:00:00Z", end_date="2026-12-07T05:00:01Z")
    run = dto.TaskRunDto(id="run1", execution_id="exec1", task_id="say", state=state,
                         outputs={"value": secret, "state": f"got {secret}!"}, error=f"failed: {secret}")
    return dto.ExecutionDto(id="exec1", namespace="company.team", flow_id="hello", flow_revision=1, state=state,
                            inputs={"token": secret, secret: "key"}, task_run_list=[run])


@pytest.mark.parametrize("secret", ["x", "id", "state", "SUCCESS", "2026", "exec1"])
def test_keys_and_engine_fields_are_left_whole(secret: str) -> None:
    before = _execution(secret)
    after = masking.mask_model(before, _masker(secret))
    wire = after.wire()
    assert set(wire) == set(before.wire())
    assert wire["id"] == "exec1" and wire["state"] == before.wire()["state"]
    assert wire["inputs"] == {"token": MASK, secret: "key"}  # a key equal to the secret stays a key
    run = wire["taskRunList"][0]
    assert run["id"] == "run1" and run["executionId"] == "exec1" and run["state"]["current"] == "SUCCESS"
    assert run["outputs"]["value"] == MASK
    if len(secret) >= 4:
        assert run["outputs"]["state"] == f"got {MASK}!" and run["error"] == f"failed: {MASK}"


def test_json_like_values_keep_their_keys() -> None:
    masked = masking.mask({"id": "id", "items": ["id", {"id": "an id"}]}, _masker("id"))
    assert masked == {"id": MASK, "items": [MASK, {"id": "an id"}]}


def test_no_masker_changes_nothing() -> None:
    body = _execution("x")
    assert masking.mask_model(body, None) is body
