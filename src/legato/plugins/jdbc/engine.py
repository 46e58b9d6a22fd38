"""Running SQL on a session the way Kestra's JDBC tasks do, shared by the tasks and the polling triggers.

`fetchType` says what a statement that returns rows gives: FETCH → `rows` (every row as a map) and `size`,
FETCH_ONE → `row` (the first, or null) and `size`, STORE → `uri` (a file in internal storage, one row per
line) and `size`, NONE → nothing. STORE reads with a server-side cursor (PostgreSQL named cursor, MySQL
unbuffered cursor), `fetchSize` rows per round trip, and writes each batch to a local file before storing it:
memory stays bounded whatever the result's size.

Blocking: call these in a thread (`in_thread`), which also cancels the running statement when the task is
killed or times out.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from legato.plugins.jdbc import sqltext, values
from legato.plugins.jdbc.drivers import Session

FetchType = Literal["FETCH", "FETCH_ONE", "STORE", "NONE"]
FETCH_TYPES: tuple[FetchType, ...] = ("FETCH", "FETCH_ONE", "STORE", "NONE")
Store = Callable[[Path], str]  # puts a local file in internal storage, returns its URI
T = TypeVar("T")


class SqlFailed(RuntimeError):
    """A statement failed or a setting cannot work; the message is the database's or says which property."""


@dataclass(frozen=True)
class Fetch:
    mode: FetchType
    size: int = 10_000
    tz: dt.tzinfo | None = None


_STREAMABLE = frozenset({"SELECT", "WITH", "VALUES", "TABLE"})


def execute(session: Session, statement: str, parameters: Mapping[str, Any] | None, fetch: Fetch,
            store: Store) -> dict[str, Any] | None:
    """Run one statement; its outputs by fetch mode, or None when it returned no rows to read."""
    if session.stopped():  # a kill or timeout came before the statement started, so cancel() had nothing to stop
        raise SqlFailed("cancelled")
    sql, args = (sqltext.bind_named(statement, parameters, session.driver.marker) if parameters is not None
                 else (statement, None))
    stream = fetch.mode == "STORE" and sqltext.first_keyword(statement) in _STREAMABLE
    if stream and fetch.tz is None:
        lines = session.driver.json_lines(session.raw, sql.strip().rstrip(";"), args)
        if lines is not None:
            return _store_lines(lines, store)
    cursor = session.cursor(stream)
    try:
        try:
            cursor.execute(sql) if args is None else cursor.execute(sql, args)
        except Exception as exc:
            raise SqlFailed(_message(exc)) from None
        if not session.driver.has_result(cursor, statement):
            return None
        columns = values.column_names(cursor.description)
        return _read(cursor, columns, fetch, store)
    finally:
        cursor.close()


def _read(cursor: Any, columns: list[str], fetch: Fetch, store: Store) -> dict[str, Any]:
    match fetch.mode:
        case "FETCH_ONE":
            first = cursor.fetchone()
            row = None if first is None else values.row_map(columns, first, fetch.tz)
            return {"row": row, "size": 0 if row is None else 1}
        case "FETCH":
            rows = [values.row_map(columns, r, fetch.tz) for batch in _batches(cursor, fetch.size) for r in batch]
            return {"rows": rows, "size": len(rows)}
        case "STORE":
            return _store(cursor, columns, fetch, store)
        case "NONE":
            return {}


def _batches(cursor: Any, size: int) -> Any:
    while batch := cursor.fetchmany(size):
        yield batch


def _store(cursor: Any, columns: list[str], fetch: Fetch, store: Store) -> dict[str, Any]:
    handle, name = tempfile.mkstemp(prefix="legato-rows-", suffix=".ion")
    path = Path(name)
    size = 0
    try:
        with os.fdopen(handle, "w", encoding="utf-8", buffering=1 << 20) as out:
            encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
            for batch in _batches(cursor, fetch.size):
                out.write("".join(encode(values.row_map(columns, r, fetch.tz)) + "\n" for r in batch))
                size += len(batch)
        return {"uri": store(path), "size": size}
    finally:
        path.unlink(missing_ok=True)


def _store_lines(lines: Iterator[tuple[bytes, int]], store: Store) -> dict[str, Any]:
    handle, name = tempfile.mkstemp(prefix="legato-rows-", suffix=".ion")
    path = Path(name)
    size = 0
    try:
        with os.fdopen(handle, "wb", buffering=1 << 20) as out:
            for block, count in lines:
                out.write(block)
                size += count
        return {"uri": store(path), "size": size}
    except Exception as exc:
        raise SqlFailed(_message(exc)) from None
    finally:
        path.unlink(missing_ok=True)


def run_query(session: Session, sql: str, after_sql: str | None, parameters: Mapping[str, Any] | None,
              fetch: Fetch, store: Store, commit: bool = True) -> dict[str, Any]:
    """Kestra's Query: one statement, then `afterSQL` in the same transaction, committed together (rolled back
    instead when `commit` is false: Kestra's deprecated `autoCommit: false`)."""
    statements = sqltext.split_statements(sql)
    if len(statements) > 1:
        raise SqlFailed(f"property 'sql': Query runs one statement and this has {len(statements)}; use the Queries task to run several")
    if not statements:
        raise SqlFailed("property 'sql' holds no statement")
    try:
        outputs = execute(session, statements[0], parameters, fetch, store) or {}
        if after_sql is not None and after_sql.strip():
            after = sqltext.split_statements(after_sql)
            if len(after) > 1:
                raise SqlFailed("property 'afterSQL': only one statement is allowed; use the Queries task to run several")
            execute(session, after[0], parameters, Fetch("NONE"), store)
        if commit:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        _rollback(session)
        raise
    return outputs


def run_queries(session: Session, sql: str, parameters: Mapping[str, Any] | None, fetch: Fetch, store: Store,
                transaction: bool, cancelled: Callable[[], bool]) -> list[dict[str, Any]]:
    """Kestra's Queries: every statement in order; with `transaction` all commit together or none does,
    without it each commits on its own. One output per statement that returned rows."""
    outputs: list[dict[str, Any]] = []
    try:
        for statement in sqltext.split_statements(sql):
            if cancelled():
                raise SqlFailed("cancelled")
            result = execute(session, statement, parameters, fetch, store)
            if result is not None:
                outputs.append(result)
            if not transaction:
                session.commit()
        session.commit()
    except BaseException:
        _rollback(session)
        raise
    return outputs


def _rollback(session: Session) -> None:
    with contextlib.suppress(Exception):  # the statement's own error is the one to report
        session.rollback()


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc.args, tuple) and len(exc.args) == 2 and isinstance(exc.args[0], int):
        text = f"({exc.args[0]}) {exc.args[1]}"  # pymysql: (code, message)
    return text.splitlines()[0] if text.count("\n") > 3 else text or type(exc).__name__


class Cancel:
    """The session a thread works on, so that a kill or a timeout can stop its statement."""

    def __init__(self) -> None:
        self.session: Session | None = None
        self.cancelled = False

    def __call__(self) -> bool:
        return self.cancelled

    def stop(self) -> None:
        self.cancelled = True
        if self.session is not None:
            with contextlib.suppress(Exception):  # best effort: its thread closes the connection anyway
                self.session.cancel()


async def in_thread(work: Callable[[Cancel], T]) -> T:
    """Run `work` in a thread; when the awaiting task is cancelled (kill, timeout) stop its statement."""
    cancel = Cancel()
    future = asyncio.create_task(asyncio.to_thread(work, cancel), name="jdbc-statement")
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        cancel.stop()
        raise
