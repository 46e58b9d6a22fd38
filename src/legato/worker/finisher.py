"""Reporting results in batches: while one transaction carries results to the store, the results that end
meanwhile wait and go together in the next one. A lone result goes at once; under load a worker pays one
transaction for many results instead of one each. Each result is still fenced on its own."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from legato.engine import events as ev
from legato.model.execution import LogRecord
from legato.store.ports import Job

Result = tuple[Job, ev.TaskResult, Sequence[LogRecord]]
# Finishes several results in one transaction: for each, whether it was accepted.
FinishMany = Callable[[Sequence[Result]], list[bool]]


class BatchFinisher:
    """Coalesces `finish` calls of one event loop into `finish_many` calls, one in flight at a time."""

    def __init__(self, finish_many: FinishMany, max_batch: int = 256):
        self._finish_many = finish_many
        self._max_batch = max_batch
        self._queue: list[tuple[Result, asyncio.Future[bool]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def finish(self, job: Job, result: ev.TaskResult, logs: Sequence[LogRecord]) -> bool:
        """Report one result; True when the store accepted it (the lease was still held)."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        done.add_done_callback(_retrieve)  # a caller cancelled meanwhile leaves no "never retrieved" warning
        self._queue.append(((job, result, logs), done))
        if self._sender is None:
            self._sender = asyncio.create_task(self._send(), name="worker-finisher")
        # Shielded: a caller cancelled while its result is in flight must not cancel the batch of others.
        return await asyncio.shield(done)

    async def _send(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue[:self._max_batch], self._queue[self._max_batch:]
                try:
                    accepted = await asyncio.to_thread(self._finish_many, [r for r, _ in batch])
                except Exception as exc:  # each caller sees the failure of its own result
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                    continue
                for (_, done), ok in zip(batch, accepted, strict=True):
                    if not done.done():
                        done.set_result(ok)
        finally:
            self._sender = None


def _retrieve(future: asyncio.Future[bool]) -> None:
    if not future.cancelled():
        future.exception()
