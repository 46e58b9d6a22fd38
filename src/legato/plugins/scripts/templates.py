"""Rendering a script task's properties for one run."""

from __future__ import annotations

import re
from collections.abc import Callable

from legato.plugins.context import RunContext
from legato.plugins.runnable import render_as

# `{{ workingDir }}` and `{{ outputDir }}` name the run's folders, known only once the runner is chosen
_RUN_PATHS = re.compile(r"\{\{-?\s*(workingDir|outputDir)\s*-?\}\}")


class RunTemplates:
    """Renders a task's properties for one run: the run's folders first, then the expression engine."""

    def __init__(self, ctx: RunContext, paths: dict[str, str], localize: Callable[[str], str] = str) -> None:
        self.ctx = ctx
        self.paths = paths
        self.localize = localize

    def command(self, value: str) -> str:
        """A script or command line: rendered, then each storage URI in it replaced by a local copy's path."""
        return self.localize(self.text(value))

    def commands(self, value: list[str] | str | None, prop: str) -> list[str]:
        return [self.localize(line) for line in self.lines(value, prop)]

    def text(self, value: str) -> str:
        return self.ctx.render_string(self.substitute(value))

    def lines(self, value: list[str] | str | None, prop: str) -> list[str]:
        """A list-of-strings property, each rendered; one expression giving a list is accepted too."""
        if value is None:
            return []
        if isinstance(value, str):
            return [str(i) for i in render_as(self.ctx, self.substitute(value), list[str], prop)]
        return [self.text(line) for line in value]

    def substitute(self, text: str) -> str:
        """`{{ workingDir }}` / `{{ outputDir }}` replaced by the run's folders."""
        return _RUN_PATHS.sub(lambda m: self.paths.get(m.group(1), m.group(0)), text)
