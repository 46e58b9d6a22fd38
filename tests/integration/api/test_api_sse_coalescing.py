"""Streams coalesce: a client that reads slowly receives the latest snapshot, never a backlog of the
changes it missed, and the stream reads the store only when the client is ready for the next event."""

from __future__ import annotations

import asyncio

from legato.api import sse


class FakeConnectedRequest:
    """Stands in for a Starlette request whose client stays connected (the only part snapshots() uses)."""

    async def is_disconnected(self) -> bool:
        return False


def test_a_slow_reader_gets_the_latest_state_only() -> None:
    version = {"n": 0, "reads": 0}

    async def read() -> tuple[str, bool]:
        version["reads"] += 1
        return f"v{version['n']}", version["n"] >= 100

    async def consume() -> list[str]:
        received = []
        stream = sse.snapshots(FakeConnectedRequest(), read, interval=0)  # type: ignore[arg-type]
        received.append((await anext(stream))[0])
        version["n"] = 57  # 57 changes while the client was not reading
        received.append((await anext(stream))[0])
        version["n"] = 100  # and the end
        async for text, _finished in stream:
            received.append(text)
        return received

    received = asyncio.run(consume())
    assert received == ["v0", "v57", "v100"]
    assert version["reads"] == 3  # one read per event: nothing is read ahead or queued


def test_unchanged_snapshots_are_not_resent_and_a_gone_thing_ends_the_stream() -> None:
    answers: list[tuple[str, bool] | None] = [("a", False), ("a", False), ("b", False), None]

    async def read() -> tuple[str, bool] | None:
        return answers.pop(0)

    async def consume() -> list[str]:
        return [t async for t, _ in sse.snapshots(FakeConnectedRequest(), read, interval=0)]  # type: ignore[arg-type]

    assert asyncio.run(consume()) == ["a", "b"]
    assert sse.event('{"x":1}', name="end", event_id=3) == 'event: end\nid: 3\ndata: {"x":1}\n\n'
