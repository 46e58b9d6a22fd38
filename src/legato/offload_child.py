"""The child side of legato.offload: jq programs and backtracking regular expressions, run where they can be killed.

Started as a script (`python -I offload_child.py MEMORY_BYTES`), so it imports nothing of legato: only the
standard library and jq. It caps its own address space, then answers requests read from stdin, one at a
time: a 4-byte big-endian length and a JSON document; each answer is framed the same way. It exits when
stdin closes (its parent is gone). The parent kills it when a request runs past the caller's deadline.
"""

from __future__ import annotations

import json
import re
import resource
import struct
import sys
from collections.abc import Callable
from typing import Any

_HEADER = struct.Struct(">I")


class OutputTooLarge(Exception):
    pass


class InvalidProgram(Exception):
    pass


def _jq(request: dict[str, Any]) -> Any:
    import jq  # imported on first use: a child that only runs regexes stays small

    try:
        program = jq.compile(request["program"])
    except ValueError as exc:
        raise InvalidProgram(f"Invalid jq program {request['program']!r}: {str(exc).splitlines()[0]}") from None
    limit, total, out = int(request["max_chars"]), 0, []
    for item in program.input_text(request["input"]):
        total += len(json.dumps(item, ensure_ascii=False)) + 1
        if total > limit:
            raise OutputTooLarge(f"jq output exceeds the size limit of {limit:,} characters")
        out.append(item)
    return out


def _regex(request: dict[str, Any]) -> Any:
    pattern = re.compile(request["pattern"], request.get("flags", 0))
    text, op = request["text"], request["op"]
    if op == "search":
        found = pattern.search(text)
        return None if found is None else [found.start(), found.end()]
    if op == "fullmatch":
        return pattern.fullmatch(text) is not None
    if op == "split":
        return pattern.split(text, maxsplit=int(request.get("maxsplit", 0)))
    if op == "spans":  # every match: [start, end, group texts...], for the parent to build replacements
        limit, out = int(request["max_matches"]), list[Any]()
        for m in pattern.finditer(text):
            if len(out) >= limit:
                raise OutputTooLarge(f"more than {limit:,} matches")
            out.append([m.start(), m.end(), *m.groups()])
        return out
    raise ValueError(f"unknown regex operation {op!r}")


HANDLERS: dict[str, Callable[[dict[str, Any]], Any]] = {"jq": _jq, "regex": _regex}


def _answer(request: dict[str, Any]) -> dict[str, Any]:
    try:
        return {"ok": HANDLERS[request["kind"]](request)}
    except OutputTooLarge as exc:
        return {"error": str(exc), "limit": "size"}
    except InvalidProgram as exc:
        return {"error": str(exc), "invalid": True}
    except MemoryError:
        return {"error": "out of memory", "limit": "memory"}
    except RecursionError:
        return {"error": "nested deeper than the depth limit of the interpreter's stack", "limit": "depth"}
    except Exception as exc:  # the program or pattern is wrong: the parent reports the message
        return {"error": str(exc).splitlines()[0] if str(exc) else type(exc).__name__}


def _read(stream: Any, n: int) -> bytes | None:
    data = stream.read(n)
    return data if data is not None and len(data) == n else None


def main() -> int:
    memory = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    if memory > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        header = _read(stdin, _HEADER.size)
        if header is None:
            return 0
        body = _read(stdin, _HEADER.unpack(header)[0])
        if body is None:
            return 0
        try:
            answer = _answer(json.loads(body))
            data = json.dumps(answer, ensure_ascii=False).encode()
        except MemoryError:
            data = b'{"error": "out of memory", "limit": "memory"}'
        stdout.write(_HEADER.pack(len(data)) + data)
        stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
