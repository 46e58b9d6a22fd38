"""The engine's one exception type and its resource limits."""

from __future__ import annotations

from dataclasses import dataclass


class ExpressionError(Exception):
    """A template failed to parse or to render; the message says what and where."""

    def __init__(
        self,
        message: str,
        *,
        expression: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.problem = message
        self.expression = expression
        self.line = line
        self.column = column
        super().__init__(self._compose())

    def _compose(self) -> str:
        text = self.problem
        if self.expression is not None:
            shown = self.expression if len(self.expression) <= 200 else self.expression[:197] + "..."
            text += f' in "{shown}"'
        if self.line is not None:
            text += f" (line {self.line}"
            text += f", column {self.column})" if self.column is not None else ")"
        return text

    def locate(self, expression: str, line: int | None, column: int | None) -> ExpressionError:
        """Attach the template text and position if none is known yet; return self."""
        if self.expression is None:
            self.expression = expression
        if self.line is None:
            self.line, self.column = line, column
        self.args = (self._compose(),)
        return self

    def __str__(self) -> str:
        return self._compose()


class UndefinedError(ExpressionError):
    """A name, key or index that does not exist (caught by `??` and `???`)."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on one render; exceeding any of them raises ExpressionError."""

    max_render_seconds: float = 1.0
    max_output_chars: int = 10_000_000  # bounds every string the engine builds, not only the output
    max_range_items: int = 100_000  # ranges, loops and generated lists
    max_render_depth: int = 10  # render() inside render()
    max_call_depth: int = 64  # macro recursion
    max_parse_depth: int = 100  # nesting of brackets and blocks
    max_template_chars: int = 1_000_000
    cache_size: int = 2_048  # parsed templates kept by text
