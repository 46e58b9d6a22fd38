"""Pebble-compatible, sandboxed template and expression engine (DESIGN.md §5).

`{{ expr }}`, `{% if %}`, `{% for %}`, `{% set %}`, `{% macro %}`, `{% raw %}`, filters, tests and
functions as Kestra uses them; strict variables; bounded time, output and recursion.
"""

from legato.expressions.errors import ExpressionError, Limits
from legato.expressions.renderer import Renderer, is_template
from legato.expressions.secrets import Masker
from legato.expressions.values import to_text, truthy

__all__ = ["ExpressionError", "Limits", "Masker", "Renderer", "is_template", "to_text", "truthy"]
