"""Compile statement nodes into emitters `fn(state, out)` and wrap them as a runnable Template."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from legato.expressions import nodes as n
from legato.expressions.compiler import Fn, compile_expr
from legato.expressions.errors import ExpressionError
from legato.expressions.limits import ENTRY_BYTES, MAP_BYTES, LimitExceeded, footprint
from legato.expressions.runtime import State
from legato.expressions.values import to_text, truthy, type_name

Emit = Callable[[State, list[str]], None]
MacroFn = Callable[[State, list[Any], dict[str, Any]], str]


def located(fn: Fn, node: n.Node) -> Fn:
    """Attach the node's position to errors raised while evaluating `fn`."""
    line, col = node.line, node.column

    def run(st: State) -> Any:
        try:
            return fn(st)
        except ExpressionError as e:
            raise e.locate(st.source, line, col) from None
    return run


class Compiler:
    def __init__(self) -> None:
        self.macros: dict[str, MacroFn] = {}

    def body(self, statements: tuple[n.Node, ...]) -> list[Emit]:
        """Emitters for the statements; each run of text and prints becomes a single emitter."""
        out: list[Emit] = []
        run: list[n.Node] = []
        for s in statements:
            if isinstance(s, (n.Text, n.Print)):
                run.append(s)
                continue
            if run:
                out.append(_flat(run))
                run = []
            emit = self.statement(s)
            if emit is not None:
                out.append(emit)
        if run:
            out.append(_flat(run))
        return out

    def statement(self, node: n.Node) -> Emit | None:
        if isinstance(node, n.If):
            return self._if(node)
        if isinstance(node, n.For):
            return self._for(node)
        if isinstance(node, n.Set):
            return _set(node.name, located(compile_expr(node.expr), node))
        if isinstance(node, n.Macro):
            self.macros[node.name] = self._macro(node)
            return None
        raise ExpressionError(f"Unsupported statement {type(node).__name__}")

    def _if(self, node: n.If) -> Emit:
        branches = [(located(compile_expr(cond), cond), self.body(body)) for cond, body in node.branches]
        otherwise = self.body(node.otherwise)

        def run(st: State, out: list[str]) -> None:
            for cond, body in branches:
                if truthy(cond(st)):
                    _run(body, st, out)
                    return
            _run(otherwise, st, out)
        return run

    def _for(self, node: n.For) -> Emit:
        iterable = located(compile_expr(node.iterable), node)
        body, otherwise, var = self.body(node.body), self.body(node.otherwise), node.var

        def run(st: State, out: list[str]) -> None:
            source = iterable(st)
            items = _items(source)
            count = len(items)
            st.check_items(count, "loop")
            if items is not source:  # a map or set turned into a list of entries for the loop
                st.charge(footprint(items) + (MAP_BYTES + 2 * ENTRY_BYTES) * count)
            if not count:
                _run(otherwise, st, out)
                return
            saved = st.locals
            scope = st.locals = dict(saved)
            try:
                for i, item in enumerate(items):
                    st.tick()
                    scope[var] = item
                    scope["loop"] = {"index": i, "first": i == 0, "last": i == count - 1,
                                     "length": count, "revindex": count - i - 1}
                    _run(body, st, out)
            finally:
                for key in saved:  # `set` of an outer variable inside the loop survives it
                    if key != var and key != "loop" and key in scope:
                        saved[key] = scope[key]
                st.locals = saved
        return run

    def _macro(self, node: n.Macro) -> MacroFn:
        params = [(name, None if d is None else compile_expr(d)) for name, d in node.params]
        body, name = self.body(node.body), node.name

        def call(st: State, args: list[Any], kwargs: dict[str, Any]) -> str:
            if len(args) > len(params):
                raise ExpressionError(f"Macro '{name}' takes {len(params)} argument(s), got {len(args)}")
            unknown = set(kwargs) - {p for p, _ in params}
            if unknown:
                raise ExpressionError(f"Macro '{name}' has no argument named '{sorted(unknown)[0]}'")
            scope: dict[str, Any] = {}
            for i, (pname, default) in enumerate(params):
                if i < len(args):
                    scope[pname] = args[i]
                elif pname in kwargs:
                    scope[pname] = kwargs[pname]
                else:
                    scope[pname] = None if default is None else default(st)
            st.call_depth += 1
            if st.call_depth > st.limits.max_call_depth:
                st.call_depth -= 1
                raise LimitExceeded("depth", f"Macro calls nested deeper than the depth limit of "
                                             f"{st.limits.max_call_depth}")
            saved, st.locals = st.locals, scope
            out: list[str] = []
            try:
                _run(body, st, out)
            finally:
                st.locals = saved
                st.call_depth -= 1
            return "".join(out)
        return call


def _run(body: list[Emit], st: State, out: list[str]) -> None:
    for emit in body:
        emit(st, out)


def _items(value: Any) -> list[Any] | tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return value
    if isinstance(value, Mapping):
        return [{"key": k, "value": v} for k, v in value.items()]
    if isinstance(value, (set, frozenset)):
        return list(value)
    raise ExpressionError(f"Cannot loop over {type_name(value)} values")


def _flat(nodes: list[n.Node]) -> Emit:
    """Text and `{{ }}` in sequence, in one loop: the hot path of almost every template."""
    parts: list[tuple[str, Fn | None, int, int]] = []
    for node in nodes:
        if isinstance(node, n.Print):
            parts.append(("", compile_expr(node.expr), node.line, node.column))
        elif isinstance(node, n.Text):
            parts.append((node.text, None, 0, 0))

    def run(st: State, out: list[str]) -> None:
        size = 0
        for text, fn, line, col in parts:
            if fn is None:
                s = text
            else:
                try:
                    value = fn(st)
                except ExpressionError as e:
                    raise e.locate(st.source, line, col) from None
                s = value if type(value) is str else to_text(value)
            size += len(s)
            out.append(s)
        st.size += size
        if st.size > st.max_chars:
            st.grow(0)
    return run


def _set(name: str, fn: Fn) -> Emit:
    def run(st: State, out: list[str]) -> None:
        st.locals[name] = fn(st)
    return run


class Template:
    """A parsed and compiled template, reusable across renders and threads."""

    __slots__ = ("body", "macros", "single", "source")

    def __init__(self, source: str, statements: tuple[n.Node, ...]) -> None:
        compiler = Compiler()
        self.source = source
        self.body = compiler.body(statements)
        self.macros = compiler.macros
        meaningful = [s for s in statements if not (isinstance(s, n.Text) and not s.text.strip())]
        only = meaningful[0] if len(meaningful) == 1 else None
        # A template that is one `{{ expr }}` can keep the value's type.
        self.single = located(compile_expr(only.expr), only) if isinstance(only, n.Print) else None

    def run(self, st: State) -> str:
        saved = st.macros
        st.macros = self.macros
        out: list[str] = []
        try:
            for emit in self.body:
                emit(st, out)
        finally:
            st.macros = saved
        return "".join(out)

    def value(self, st: State) -> Any:
        if self.single is None:
            return self.run(st)
        saved = st.macros
        st.macros = self.macros
        try:
            return self.single(st)
        finally:
            st.macros = saved
