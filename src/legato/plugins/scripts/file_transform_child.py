"""The child side of Kestra's Python FileTransform tasks (`scripts.jython.FileTransform`,
`graalvm.python.FileTransform`): the task copies this file into its working directory and runs it there with a
script runner, so the flow's script gets the runner's isolation as any script task's does. Standard library only.

`python file_transform_child.py SCRIPT ROWS OUT [CONCURRENT]` runs SCRIPT once per row of ROWS (one tagged JSON
value per line, see `encode`/`decode`) with the globals `row`, `rows` (None), `logger` and the flow's variables
(the JSON file `variables.json` beside ROWS), and writes to OUT, one tagged JSON value per line: the values of
`rows` when the script set it to a list, else `row` unless the script set it to None. `logger.info('row: {}', row)`
and `print` become log lines; an error names the row it happened on and ends the run with exit code 1.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

TAG = "$legato"  # a value JSON has no type for: {"$legato": "datetime", "v": "2024-05-01T12:00:00+00:00"}


def encode(value: Any) -> Any:
    """`value` with datetimes, dates, times, decimals and bytes as tagged objects (JSON has none of them)."""
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [encode(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return {TAG: type(value).__name__, "v": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {TAG: "decimal", "v": str(value)}
    if isinstance(value, bytes | bytearray):
        return {TAG: "bytes", "v": base64.b64encode(bytes(value)).decode()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _tagged(obj: dict[str, Any]) -> Any:
    kind = obj.get(TAG)
    if kind is None or set(obj) != {TAG, "v"}:
        return obj
    parse: dict[str, Callable[[str], Any]] = {
        "datetime": dt.datetime.fromisoformat,
        "date": dt.date.fromisoformat,
        "time": dt.time.fromisoformat,
        "decimal": decimal.Decimal,
        "bytes": base64.b64decode,
    }
    return parse[kind](obj["v"]) if kind in parse else obj


def decode(line: str) -> Any:
    """The value of one line `encode` wrote."""
    return json.loads(line, object_hook=_tagged)


class Logger:
    """Kestra's `logger` (SLF4J): `{}` placeholders take the arguments in order."""

    def __init__(self, emit: Callable[[str], None]) -> None:
        self._emit = emit

    def _log(self, level: str, message: Any, *args: Any) -> None:
        parts = str(message).split("{}")
        text = parts[0] + "".join(
            (str(args[i]) if i < len(args) else "{}") + part for i, part in enumerate(parts[1:])
        )
        self._emit(f"{level} {text}")

    def trace(self, message: Any, *args: Any) -> None:
        self._log("TRACE", message, *args)

    def debug(self, message: Any, *args: Any) -> None:
        self._log("DEBUG", message, *args)

    def info(self, message: Any, *args: Any) -> None:
        self._log("INFO", message, *args)

    def warn(self, message: Any, *args: Any) -> None:
        self._log("WARN", message, *args)

    warning = warn

    def error(self, message: Any, *args: Any) -> None:
        self._log("ERROR", message, *args)


class Printer:
    """`sys.stdout` of the script: each line it prints becomes an INFO log line."""

    def __init__(self, emit: Callable[[str], None]) -> None:
        self._emit = emit
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            self._emit(f"INFO {line}")
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._emit(f"INFO {self._pending}")
            self._pending = ""


def transform(code: Any, shared: dict[str, Any], row: Any) -> list[Any]:
    """The rows one input row becomes."""
    scope = shared
    scope["row"], scope["rows"] = row, None
    exec(code, scope)  # noqa: S102 - running the flow's script is the task
    rows = scope.get("rows")
    if rows is not None:
        if not isinstance(rows, list | tuple):
            raise TypeError("`rows` must be a list of rows")
        return list(rows)
    return [] if scope.get("row") is None else [scope["row"]]


def main(argv: list[str]) -> int:
    script_path, rows_path, out_path = argv[:3]
    concurrent = int(argv[3]) if len(argv) > 3 else 0
    with open(script_path, encoding="utf-8") as handle:
        code = compile(handle.read(), "script", "exec")
    with open(os.path.join(os.path.dirname(rows_path), "variables.json"), encoding="utf-8") as handle:
        variables = decode(handle.read())
    out = sys.stdout
    logger = Logger(lambda text: print(text, file=out, flush=True))

    def scope() -> dict[str, Any]:
        return {"__name__": "__main__", **variables, "logger": logger}

    def rows() -> Iterator[tuple[int, Any]]:
        with open(rows_path, encoding="utf-8") as source:
            for number, line in enumerate(source, start=1):
                if line.strip():
                    yield number, decode(line)

    def one(item: tuple[int, Any], shared: dict[str, Any] | None = None) -> list[Any]:
        number, row = item
        try:
            return transform(code, shared if shared is not None else scope(), row)
        except Exception as exc:
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == "script"]
            where = f" (script line {frames[-1].lineno})" if frames else ""
            raise RuntimeError(f"row {number}{where}: {type(exc).__name__}: {exc}") from None

    printer = Printer(lambda text: print(text, file=out, flush=True))
    sys.stdout = printer  # the flow's `print` goes to the log, not into the protocol
    try:
        with open(out_path, "w", encoding="utf-8") as target:
            if concurrent >= 2:
                with ThreadPoolExecutor(max_workers=concurrent) as pool:
                    results: Iterator[list[Any]] = pool.map(one, rows())
                    for produced in results:
                        target.writelines(json.dumps(encode(r)) + "\n" for r in produced)
            else:
                shared = scope()  # one scope for every row, as Kestra's script context keeps its globals
                for item in rows():
                    target.writelines(json.dumps(encode(r)) + "\n" for r in one(item, shared))
    except RuntimeError as exc:
        print(f"ERROR {exc}", file=out, flush=True)
        return 1
    finally:
        printer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
