"""dbt's artifacts after a run: `target/run_results.json` (one result per node: status, timing, adapter
response) and `target/manifest.json` (what each node is). Each result becomes one task-run-like entry (the
node's unique id as `taskId`, a state with its history from dbt's timings, one attempt), as Kestra's dbt
plugin makes one dynamic task run per node; rows affected and bytes processed become metrics."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

# dbt's node status -> the state of the node's entry (Kestra's mapping)
STATES = {
    "error": "FAILED", "fail": "FAILED", "runtime_error": "FAILED",
    "warn": "WARNING",
    "skipped": "SKIPPED",
    "success": "SUCCESS", "pass": "SUCCESS",
}
# adapter_response keys reported as metrics, under Kestra's names
_METRICS = {"rows_affected": "rows.affected", "bytes_processed": "bytes.processed"}


@dataclass
class Parsed:
    """What one run's artifacts say: an entry per node, metrics, and log lines (level, text) per node."""

    nodes: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    logs: list[tuple[str, str]] = field(default_factory=list)


class ArtifactError(ValueError):
    """An artifact is not the JSON dbt writes."""


def load(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"cannot read dbt's {path.name}: {exc}") from None
    if not isinstance(value, dict):
        raise ArtifactError(f"dbt's {path.name} is not a JSON object")
    return value


def parse(run_results: dict[str, Any], manifest: dict[str, Any] | None, parent_id: str) -> Parsed:
    """The entries, metrics and logs of `run_results` (nodes described further by `manifest` when given)."""
    described = (manifest or {}).get("nodes") or {}
    out = Parsed()
    results = run_results.get("results")
    if not isinstance(results, list):
        raise ArtifactError("dbt's run_results.json has no 'results' list")
    for result in results:
        if not isinstance(result, dict) or not isinstance(result.get("unique_id"), str):
            raise ArtifactError("an entry of dbt's run_results.json has no 'unique_id'")
        node_id: str = result["unique_id"]
        status = str(result.get("status") or "")
        state = STATES.get(status)
        if state is None:
            raise ArtifactError(f"node {node_id}: unknown dbt status {status!r}")
        response = result.get("adapter_response") or {}
        node_outputs: dict[str, Any] = {"status": status}
        for key, name in _METRICS.items():
            value = response.get(key) if isinstance(response, dict) else None
            if isinstance(value, int | float) and not isinstance(value, bool):
                out.metrics.append({"name": name, "type": "counter", "value": value, "tags": {"node": node_id}})
                node_outputs["rowsAffected" if key == "rows_affected" else "bytesProcessed"] = value
        for key, name in (("execution_time", "executionTime"), ("failures", "failures"), ("message", "message")):
            if result.get(key) is not None:
                node_outputs[name] = result[key]
        info = described.get(node_id) if isinstance(described, dict) else None
        if isinstance(info, dict):
            node_outputs["resourceType"] = info.get("resource_type")
            relation = ".".join(str(p) for p in (info.get("database"), info.get("schema"),
                                                 info.get("alias") or info.get("name")) if p)
            if relation:
                node_outputs["relation"] = relation
        histories = _histories(result.get("timing") or [], state)
        out.nodes.append({
            "taskId": node_id,
            "parentTaskRunId": parent_id,
            "state": {"current": state, "histories": histories},
            "attempts": [{"state": {"current": state, "histories": histories}}],
            "outputs": node_outputs,
        })
        out.logs.extend(_logs(node_id, status, state, result))
    return out


def _histories(timing: list[Any], final: str) -> list[dict[str, str]]:
    """CREATED when the node's first step started, RUNNING when `execute` started, the final state when the
    last step completed (dbt omits timings of skipped nodes: then there is no history)."""
    steps = [t for t in timing if isinstance(t, dict) and t.get("started_at") and t.get("completed_at")]
    if not steps:
        return []
    started = min(_time(t["started_at"]) for t in steps)
    ended = max(_time(t["completed_at"]) for t in steps)
    history = [{"state": "CREATED", "date": started.isoformat()}]
    executed = [_time(t["started_at"]) for t in steps if t.get("name") == "execute"]
    if executed:
        history.append({"state": "RUNNING", "date": min(executed).isoformat()})
    history.append({"state": final, "date": ended.isoformat()})
    return history


def _time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise ArtifactError(f"dbt's run_results.json has a bad timestamp {text!r}") from None


def _logs(node_id: str, status: str, state: str, result: dict[str, Any]) -> list[tuple[str, str]]:
    level = {"FAILED": "ERROR", "WARNING": "WARN"}.get(state, "INFO")
    summary = f"{node_id} => {status}"
    seconds = result.get("execution_time")
    if isinstance(seconds, int | float):
        summary += f" in {seconds:.2f}s"
    failures = result.get("failures")
    if isinstance(failures, int) and failures > 0:
        summary += f" ({failures} failure{'s' if failures != 1 else ''})"
    lines = [(level, summary)]
    message = result.get("message")
    if isinstance(message, str) and message.strip():
        lines.append((level, message))
    return lines
