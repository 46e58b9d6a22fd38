"""Pebble-compatible, sandboxed template and expression engine (DESIGN.md §5).

`{{ expr }}`, `{% if %}`, `{% for %}`, `{% set %}`, `{% macro %}`, `{% raw %}`, comments and whitespace
control; Pebble's and Kestra's operators, tests, filters and functions; strict variables (a missing name
is an error except under `??`, `???`, `is defined`, `is null` and `default`). Templates are lexed,
parsed to a tree and compiled to closures (never to Python source), cached by text.

I/O functions (`secret`, `kv`, `read`, `http`, ...) are injected by the caller as plain callables.
Secrets travel as placeholders from a `Masker` and are revealed only at the point of use.

Where Legato differs from Pebble/Kestra, on purpose:
- No object model: attribute and subscript access reach map keys and list items only; names starting
  with `__` are refused outright; calling methods on values (`x.getClass()`, `s.format()`) is a parse
  error. Keys such as `_id` or `_source` in data maps are ordinary keys.
- `*` multiplies numbers only (no string repetition), and there is no `**` (Pebble has none either).
- Integers are 64-bit as Java's long, but overflow is an error instead of wrapping silently.
- Ranges, loops and generated lists are bounded (`Limits.max_range_items`), as are render time,
  output size, render() and macro nesting, and parser nesting; exceeding one raises ExpressionError.
- Regexes (`replace(..., regexp=true)`, `split`, `matches`) run on RE2 in linear time, or, on short texts,
  on Python's engine when the pattern's backtracking is provably small (legato.regex_short); patterns RE2
  cannot read (lookaround, backreferences) run in a child process killed at the render's deadline.
  jq programs may not read the environment or files (`env`, `$ENV`, `input`, `import`, ...); a program runs
  in such a child too, unless its worst-case cost on its input is provably small (expressions.jqcost).
- Dates are formatted in UTC unless `timeZone` is given (Kestra uses the server's zone); the localized
  styles `short`/`medium`/`long`/`full` follow en-US.
- Macros can read the template's context variables (Pebble's cannot).
"""

from legato.expressions.errors import ExpressionError, UndefinedError
from legato.expressions.limits import LimitExceeded, Limits, configure, default_limits
from legato.expressions.renderer import Renderer, is_template
from legato.expressions.secrets import Masker
from legato.expressions.values import to_text, truthy

__all__ = ["ExpressionError", "LimitExceeded", "Limits", "Masker", "Renderer", "UndefinedError", "configure", "default_limits", "is_template", "to_text", "truthy"]
