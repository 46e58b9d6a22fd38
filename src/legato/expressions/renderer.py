"""The public entry point: parse (cached), compile, and render templates against a context."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from legato.expressions import limits as lim
from legato.expressions.compiler import Fn, compile_expr
from legato.expressions.errors import ExpressionError
from legato.expressions.limits import LimitExceeded, Limits
from legato.expressions.parser import parse_expression, parse_template
from legato.expressions.runtime import State
from legato.expressions.secrets import Masker
from legato.expressions.template import Template, located

T = TypeVar("T")
Functions = Mapping[str, Callable[..., Any]]


def is_template(s: str) -> bool:
    """True when `s` contains template syntax (`{{` or `{%`) and so needs rendering."""
    return "{{" in s or "{%" in s


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _Cache:
    """A bounded, thread-safe LRU of compiled templates keyed by their text."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> Any:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key: tuple[str, str], value: Any) -> None:
        with self.lock:
            self.items[key] = value
            if len(self.items) > self.size:
                self.items.popitem(last=False)


class _Layered(Mapping[str, Any]):
    """A context with names added under it: the context's own names win, and neither is read ahead of use."""

    def __init__(self, context: Mapping[str, Any], added: Mapping[str, Any]) -> None:
        self._context, self._added = context, added

    def __getitem__(self, name: str) -> Any:
        return self._context[name] if name in self._context else self._added[name]

    def __iter__(self) -> Iterator[str]:
        yield from self._context
        yield from (k for k in self._added if k not in self._context)

    def __len__(self) -> int:
        return len(self._context) + sum(1 for k in self._added if k not in self._context)


class Renderer:
    """Pebble-compatible, sandboxed template rendering; see DESIGN.md §5."""

    def __init__(self, functions: Functions | None = None, limits: Limits | None = None,
                 clock: Callable[[], datetime] | None = None, masker: Masker | None = None,
                 variables: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None) -> None:
        self.functions: dict[str, Callable[..., Any]] = dict(functions or {})
        # Top-level variables the runtime adds to every context it renders, computed from it (a namespace's own
        # variables, read lazily); a name the context already has is left as the context has it.
        self.variables = variables
        self.limits = limits or lim.default_limits()
        self.clock = clock or _utc_now
        self.masker = masker
        self._cache = _Cache(self.limits.cache_size)

    # --- compiling -------------------------------------------------------------------------------

    def compile(self, template: str) -> Template:
        """The compiled template for this text, from the cache when seen before."""
        key = ("t", template)
        compiled: Template | None = self._cache.get(key)
        if compiled is None:
            self._check_length(template)
            compiled = self._guard(template, lambda: Template(
                template, parse_template(template, self.limits.max_parse_depth)))
            self._cache.put(key, compiled)
        return compiled

    def _compile_expression(self, expression: str) -> Fn:
        key = ("e", expression)
        fn: Fn | None = self._cache.get(key)
        if fn is None:
            self._check_length(expression)

            def build() -> Fn:
                node = parse_expression(expression, self.limits.max_parse_depth)
                return located(compile_expr(node), node)
            fn = self._guard(expression, build)
            self._cache.put(key, fn)
        return fn

    def _check_length(self, text: str) -> None:
        if len(text) > self.limits.max_template_chars:
            raise LimitExceeded("size", f"Template of {len(text):,} characters exceeds the template size limit of "
                                        f"{self.limits.max_template_chars:,}")

    # --- rendering -------------------------------------------------------------------------------

    def _state(self, context: Mapping[str, Any], functions: Functions | None, source: str,
               masker: Masker | None) -> State:
        merged = self.functions if not functions else {**self.functions, **functions}
        if self.variables is not None:
            added = self.variables(context)
            if added:  # the context's own names first; nothing of it is read ahead of use
                context = _Layered(context, added)
        st = State(self, context, merged, self.limits, source)
        st.masker = masker or self.masker
        return st

    def render(self, template: str, context: Mapping[str, Any], *, functions: Functions | None = None,
               masker: Masker | None = None) -> str:
        """Render to text. Text without template syntax is returned unchanged."""
        if "{" not in template:
            return template
        st = self._state(context, functions, template, masker)
        text: str = self._guard(template, lambda: self.compile(template).run(st), masker)
        return text

    def render_typed(self, template: str, context: Mapping[str, Any], *,
                     functions: Functions | None = None, masker: Masker | None = None) -> Any:
        """Like render, but a template that is exactly one `{{ expr }}` returns the value itself."""
        if "{" not in template:
            return template
        st = self._state(context, functions, template, masker)
        return self._guard(template, lambda: self.compile(template).value(st), masker)

    def render_all(self, value: Any, context: Mapping[str, Any], *, functions: Functions | None = None,
                   typed: bool = False, masker: Masker | None = None) -> Any:
        """Render every string inside dicts, lists and tuples (map keys too, always as text)."""
        if isinstance(value, str):
            if typed:
                return self.render_typed(value, context, functions=functions, masker=masker)
            return self.render(value, context, functions=functions, masker=masker)
        if isinstance(value, Mapping):
            return {
                (self.render(k, context, functions=functions, masker=masker) if isinstance(k, str) else k):
                self.render_all(v, context, functions=functions, typed=typed, masker=masker)
                for k, v in value.items()
            }
        if isinstance(value, (list, tuple)):
            items = [self.render_all(v, context, functions=functions, typed=typed, masker=masker) for v in value]
            return items if isinstance(value, list) else tuple(items)
        return value

    def evaluate(self, expression: str, context: Mapping[str, Any], *,
                 functions: Functions | None = None, masker: Masker | None = None) -> Any:
        """Evaluate a bare expression such as `inputs.x > 3` to its value."""
        st = self._state(context, functions, expression, masker)
        return self._guard(expression, lambda: self._compile_expression(expression)(st), masker)

    def render_nested(self, st: State, text: str) -> str:
        """render(): the text is a template of its own, rendered with the caller's context and budget."""
        if "{" not in text:
            return text
        if st.render_depth >= self.limits.max_render_depth:
            raise LimitExceeded("depth", f"render() nested deeper than the depth limit of {self.limits.max_render_depth}")
        compiled = self.compile(text)
        saved_source = st.source
        st.render_depth += 1
        st.source = text
        try:
            result: str = compiled.run(st)
            return result
        finally:
            st.render_depth -= 1
            st.source = saved_source

    def _guard(self, source: str, action: Callable[[], T], masker: Masker | None = None) -> T:
        """Run `action`, turning every failure into an ExpressionError naming the template."""
        try:
            return action()
        except ExpressionError as e:
            error = e.locate(source, None, None)
        except RecursionError:
            error = LimitExceeded("depth", "Template nested deeper than the depth limit of the interpreter's stack").locate(source, None, None)
        except MemoryError:
            error = LimitExceeded("memory", "Template needs more memory than the process may use (memory limit)").locate(source, None, None)
        except Exception as e:  # a foreign Mapping or value misbehaving: still the user's error to see
            error = ExpressionError(f"Rendering failed: {type(e).__name__}: {e}", expression=source)
        for m in (self.masker, masker):
            if m is not None:  # messages end up in logs: no secret value may appear in them
                error.problem = m.mask(error.problem)
                error.expression = None if error.expression is None else m.mask(error.expression)
        error.args = (str(error),)
        raise error from None
