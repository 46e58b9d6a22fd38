"""COPY ... TO STDOUT straight through libpq, for CopyOut and PostgreSQL's STORE.

psycopg's Copy object hands rows over one by one through its generator machinery; reading them with
`PQgetCopyData` in non-blocking mode and waiting on the socket with `select` (which releases the GIL, so the
worker's event loop keeps running) moves the same bytes at about psql's speed. Rows come in blocks with their
count; the statement's result is checked at the end.
"""

from __future__ import annotations

import select
from collections.abc import Generator, Iterator
from typing import Any

BLOCK_ROWS = 4096


class CopyFailed(RuntimeError):
    """The server refused or aborted the COPY; the message is its error."""


class Rows:
    """Blocks of lines (with their count) of a COPY ... TO STDOUT on the psycopg connection `raw`;
    `row_count` is the server's count once iterated (a CSV header is a line, not a row)."""

    def __init__(self, raw: Any, statement: bytes) -> None:
        self.raw, self.statement = raw, statement
        self.row_count = 0

    def __iter__(self) -> Iterator[tuple[list[bytes], int]]:
        result = yield from _rows(self.raw, self.statement)
        status = bytes(result.command_status or b"").decode().split()
        self.row_count = int(status[-1]) if status and status[-1].isdigit() else 0


def rows(raw: Any, statement: bytes) -> Rows:
    """Run `statement` (a COPY ... TO STDOUT) on the psycopg connection `raw`."""
    return Rows(raw, statement)


def _rows(raw: Any, statement: bytes) -> Generator[tuple[list[bytes], int], None, Any]:
    from psycopg import pq

    pg = raw.pgconn
    pg.send_query(statement)
    result = _result(pg)
    if result is None or result.status != pq.ExecStatus.COPY_OUT:
        _drain(pg)
        raise CopyFailed(_error(result))
    pending: list[bytes] = []
    while True:
        size, data = pg.get_copy_data(1)
        if size > 0:
            pending.append(bytes(data))
            if len(pending) >= BLOCK_ROWS:
                yield pending, len(pending)
                pending = []
        elif size == 0:
            _wait(pg)
        else:
            break
    if pending:
        yield pending, len(pending)
    result = _result(pg)
    _drain(pg)
    if result is None or result.status != pq.ExecStatus.COMMAND_OK:
        raise CopyFailed(_error(result))
    return result


def _wait(pg: Any) -> None:
    select.select([pg.socket], [], [])
    pg.consume_input()


def _result(pg: Any) -> Any:
    while pg.is_busy():
        _wait(pg)
    return pg.get_result()


def _drain(pg: Any) -> None:
    while _result(pg) is not None:
        pass


def _error(result: Any) -> str:
    if result is None:
        return "the server sent no result"
    message = bytes(result.error_message or b"").decode("utf-8", errors="replace").strip()
    return message.removeprefix("ERROR:").strip() or f"unexpected status {result.status!r}"
