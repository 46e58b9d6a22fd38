"""Rendering a script task's properties for one run."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from legato.plugins.context import RunContext
from legato.plugins.runnable import render_as

# `{{ workingDir }}` and `{{ outputDir }}` name the run's folders, known only once the runner is chosen
_RUN_PATHS = re.compile(r"\{\{-?\s*(workingDir|outputDir)\s*-?\}\}")


class RunTemplates:
    """Renders a task's properties for one run: the run's folders first, then the expression engine."""

    def __init__(self, ctx: RunContext, paths: dict[str, str], localize: Callable[[str], str] = str,
                 variables: Mapping[str, Any] | None = None) -> None:
        self.ctx = ctx
        self.paths = paths
        self.localize = localize
        self.variables = dict(variables or {})  # the run's own variables (a legacy task's outputFiles paths)

    def command(self, value: str) -> str:
        """A script or command line: rendered, then each storage URI in it replaced by a local copy's path."""
        return self.localize(self.text(value))

    def commands(self, value: list[str] | str | None, prop: str) -> list[str]:
        return [self.localize(line) for line in self.lines(value, prop)]

    def text(self, value: str) -> str:
        if not self.variables:
            return self.ctx.render_string(self.substitute(value))
        rendered = self.ctx.render_with(self.substitute(value), self.variables)
        if isinstance(rendered, str):
            return rendered
        return json.dumps(rendered) if isinstance(rendered, dict | list) else str(rendered)

    def render(self, value: Any) -> Any:
        """A structured property (a map of input files): every string in it rendered, with the run's variables."""
        return self.ctx.render_with(value, self.variables) if self.variables else self.ctx.render(value)

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
