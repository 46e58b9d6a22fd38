"""Edits of a flow's YAML source that keep the rest of the text (comments, order, quoting) as written."""

from __future__ import annotations

import re

_DISABLED = re.compile(r"^disabled[ \t]*:.*$", re.MULTILINE)


def with_disabled(source: str, disabled: bool) -> str:
    """`source` with its top-level `disabled:` set to `disabled`: the line is rewritten where it is, or appended
    at the end when the flow has none (and only when disabling: absent means enabled)."""
    line = f"disabled: {'true' if disabled else 'false'}"
    if _DISABLED.search(source):
        return _DISABLED.sub(line, source, count=1)
    if not disabled:
        return source
    return source + ("" if source.endswith("\n") else "\n") + line + "\n"
