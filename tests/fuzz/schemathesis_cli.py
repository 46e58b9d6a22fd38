"""schemathesis's command line, with one CPython 3.11.7 bug worked around.

Hypothesis describes the lambdas in its strategies by parsing their source with `ast.parse`. Deep in a
recursive strategy, CPython 3.11.7 can raise `SystemError: AST constructor recursion depth mismatch` from
that parse (fixed in later CPython releases); hypothesis catches only SyntaxError there, so a cosmetic
description would end the fuzz run. Here such a lambda is described as unknown instead.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from hypothesis.internal import lambda_sources
from schemathesis.cli import schemathesis


def _tolerant(describe: Callable[[object], str]) -> Callable[[object], str]:
    def description(f: object) -> str:
        try:
            return describe(f)
        except SystemError:
            return "lambda: <unknown>"

    return description


if __name__ == "__main__":
    lambda_sources.lambda_description = _tolerant(lambda_sources.lambda_description)
    sys.exit(schemathesis())
