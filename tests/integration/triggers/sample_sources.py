"""A realtime trigger type for the runner's own tests: a directory used as a message queue. Each file
`<n>.msg` is one message (its text in trigger.value, its name the fire key); the ack deletes it. A file
`<n>.boom` makes the consumer raise once (the file is removed first), to exercise the restart back-off."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from legato.model.task import TRIGGERS
from legato.plugins.triggers.base import Message, RealtimeSource, RealtimeTrigger, TriggerContext


@TRIGGERS.register
class DirectoryQueueTrigger(RealtimeTrigger):
    TYPE: ClassVar[str] = "tests.DirectoryQueue"

    directory: str = Field(description="The queue directory.")

    def source(self) -> RealtimeSource:
        return _Queue(Path(self.directory))


class _Queue:
    def __init__(self, directory: Path):
        self.directory = directory

    async def messages(self, ctx: TriggerContext) -> AsyncIterator[Message]:
        while True:
            for path in sorted(self.directory.iterdir(), key=lambda p: int(p.stem)):
                if path.suffix == ".boom":
                    path.unlink()
                    raise RuntimeError(f"broken message {path.name}")
                if path.suffix == ".msg" and path.exists():
                    yield Message(variables={"value": path.read_text(), "name": path.name}, key=f"msg:{path.name}",
                                  ack=_deleter(path))
            await asyncio.sleep(0.02)


def _deleter(path: Path):  # type: ignore[no-untyped-def]
    async def ack() -> None:
        path.unlink(missing_ok=True)

    return ack
