"""Flow sources the tests build instead of pasting them: the smallest valid flow (one Log task), with what a test
adds before its tasks (inputs, labels) or after them (triggers, outputs). A test whose flow is the point of the
test (a flowable, a trigger's conditions) still writes its YAML out in full."""

from __future__ import annotations


def log_flow(flow_id: str = "f", namespace: str = "n", message: str = "hi", *, task_id: str = "log",
             before: str = "", after: str = "") -> str:
    """`id`, `namespace`, then `before` (whole YAML lines: `labels:...`, `inputs:...`), one Log task saying
    `message`, then `after` (whole YAML lines: `triggers:...`)."""
    return (f"id: {flow_id}\nnamespace: {namespace}\n{before}tasks:\n"
            f"  - id: {task_id}\n    type: io.kestra.plugin.core.log.Log\n    message: {message}\n{after}")
