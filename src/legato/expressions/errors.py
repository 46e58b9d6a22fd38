"""The engine's exception types (its resource limits are in limits.py)."""

from __future__ import annotations


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
