"""Every flow in tests/flows/invalid/ is refused with the message (and at the line) its header announces.

Each file starts with `# expect: <text>` (a substring of one problem, path included) and optionally
`# line: N` (the line that problem must point at).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from legato import plugins
from legato.model.errors import FlowValidationError
from legato.model.loader import load_flow

CORPUS = Path(__file__).resolve().parents[2] / "flows" / "invalid"
FILES = sorted(CORPUS.glob("*.yaml"))


def header(text: str, key: str) -> str | None:
    match = re.search(rf"^# {key}: (.*)$", text, re.MULTILINE)
    return match.group(1).strip() if match else None


def test_the_corpus_is_big_enough() -> None:
    assert len(FILES) >= 30


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_invalid_flow_is_refused_with_its_message(path: Path) -> None:
    text = path.read_text()
    expect = header(text, "expect")
    assert expect, f"{path.name} has no '# expect:' header"
    with pytest.raises(FlowValidationError) as info:
        load_flow(text, source=path.name, registry=plugins.registry(), triggers=plugins.trigger_registry())
    matching = [p for p in info.value.problems if expect in f"{p.path}: {p.message}" or expect in p.message]
    assert matching, f"{path.name}: expected {expect!r} in:\n{info.value}"
    line = header(text, "line")
    if line is not None:
        assert any(p.line == int(line) for p in matching), f"{path.name}: expected line {line} in:\n{info.value}"
    # every rendered line names the file and where, as the CLI prints it
    assert all(str(p).startswith(f"{path.name}:") for p in info.value.problems)
