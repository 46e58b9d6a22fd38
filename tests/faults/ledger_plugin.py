"""A test-only task type, loaded into server processes through LEGATO_EXTRA_PLUGINS: each attempt writes
a row (task run, attempt, worker process) to the `ledger` table of $LEDGER_URL before it works, so a
test can count how often each task really ran and where."""

from __future__ import annotations

import asyncio
import os
from typing import Any, ClassVar

import psycopg
from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import Expression, RunnableTask, render_as

LEDGER_DDL = """
CREATE TABLE IF NOT EXISTS ledger (
    id BIGSERIAL PRIMARY KEY, execution_id TEXT NOT NULL, task_run_id TEXT NOT NULL, task_id TEXT NOT NULL,
    attempt INT NOT NULL, pid INT NOT NULL, at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())
"""


@TASKS.register
class Ledger(RunnableTask):
    """Record this attempt in the ledger table, then sleep `seconds`."""

    TYPE: ClassVar[str] = "tests.faults.Ledger"
    ALIASES: ClassVar[tuple[str, ...]] = ()
    EXAMPLES: ClassVar[tuple[str, ...]] = ("id: step\ntype: tests.faults.Ledger\nseconds: 0.1\n",)

    fail: bool = Field(default=False, description="Fail after recording (to test retries).")
    seconds: float | Expression = Field(default=0.0, description="How long the attempt works after recording itself.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        await asyncio.to_thread(_record, ctx.execution.id, ctx.task_run.id, ctx.task_run.task_id, ctx.attempt)
        seconds = render_as(ctx, self.seconds, float, "seconds")
        if seconds:
            await asyncio.sleep(seconds)
        if self.fail:
            raise TaskFailed("failing on purpose")
        return {"pid": os.getpid()}


def _record(execution_id: str, task_run_id: str, task_id: str, attempt: int) -> None:
    with psycopg.connect(os.environ["LEDGER_URL"], autocommit=True) as conn:
        conn.execute("INSERT INTO ledger (execution_id, task_run_id, task_id, attempt, pid) VALUES (%s, %s, %s, %s, %s)",
                     (execution_id, task_run_id, task_id, attempt, os.getpid()))
