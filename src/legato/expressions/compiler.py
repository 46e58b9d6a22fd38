"""Compile expression nodes into closures `fn(state) -> value` (fast, and never Python source)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from legato.expressions import nodes as n
from legato.expressions import runtime as rt
from legato.expressions.calls import call_filter, call_function, run_test
from legato.expressions.errors import ExpressionError, UndefinedError
from legato.expressions.filters_text import matches
from legato.expressions.limits import ENTRY_BYTES, LIST_BYTES, MAP_BYTES, SLOT_BYTES
from legato.expressions.values import UNDEFINED, compare, equals, is_number, truthy, type_name

Fn = Callable[[rt.State], Any]
# The operand of these is looked up leniently: a missing name is UNDEFINED there, not an error.
LENIENT_TESTS = frozenset({"defined", "null"})
LENIENT_FILTERS = frozenset({"default"})


def path_of(node: n.Node) -> str | None:
    """The static dotted path of a lookup chain, for error messages."""
    if isinstance(node, n.Name):
        return str(node.name)
    if isinstance(node, n.Attr):
        base = path_of(node.target)
        return None if base is None else f"{base}.{node.name}"
    if isinstance(node, n.Item) and isinstance(node.key, n.Literal):
        base = path_of(node.target)
        return None if base is None else f"{base}[{rt.key_text(node.key.value)}]"
    return None


def compile_expr(node: n.Node, lenient: bool = False) -> Fn:
    """Closure evaluating `node`; with lenient, missing lookups give UNDEFINED."""
    method = _COMPILERS.get(type(node))
    if method is None:
        raise ExpressionError(f"Unsupported expression node {type(node).__name__}")
    return method(node, lenient)


def _literal(node: n.Literal, lenient: bool) -> Fn:
    value = node.value
    return lambda st: value


def _list(node: n.ListLit, lenient: bool) -> Fn:
    items = [compile_expr(i) for i in node.items]
    cost = LIST_BYTES + SLOT_BYTES * len(items)

    def build(st: rt.State) -> Any:
        st.charge(cost)
        return [f(st) for f in items]
    return build


def _map(node: n.MapLit, lenient: bool) -> Fn:
    pairs = [(compile_expr(k), compile_expr(v)) for k, v in node.pairs]
    cost = MAP_BYTES + ENTRY_BYTES * len(pairs)

    def build(st: rt.State) -> Any:
        st.charge(cost)
        out: dict[Any, Any] = {}
        for k, v in pairs:
            key = k(st)
            if isinstance(key, (list, dict)):
                raise ExpressionError("A map key must be a string, number or boolean")
            out[key] = v(st)
        return out
    return build


def _name(node: n.Name, lenient: bool) -> Fn:
    name = node.name

    def load(st: rt.State) -> Any:
        loc = st.locals
        if loc and name in loc:
            return loc[name]
        try:
            return st.context[name]
        except KeyError:
            if lenient:
                return UNDEFINED
            raise UndefinedError(f"Undefined variable '{name}'") from None
    return load


def _chain(root: str, keys: tuple[str, ...], lenient: bool) -> Fn:
    """`a.b.c` in one closure: the commonest expression, so it gets the fast path."""

    def get(st: rt.State) -> Any:
        loc = st.locals
        if loc and root in loc:
            obj = loc[root]
        else:
            try:
                obj = st.context[root]
            except KeyError:
                if lenient:
                    return UNDEFINED
                raise UndefinedError(f"Undefined variable '{root}'") from None
        for i, key in enumerate(keys):
            if type(obj) is dict:
                try:
                    obj = obj[key]
                    continue
                except KeyError:
                    pass
            else:
                try:
                    obj = rt.lookup(obj, key)
                    continue
                except rt.Missing:
                    pass
            if lenient:
                return UNDEFINED
            raise rt.undefined_error(".".join((root, *keys[:i + 1])), obj)
        return obj
    return get


def _attr(node: n.Attr, lenient: bool) -> Fn:
    keys: list[str] = []
    base: n.Node = node
    while isinstance(base, n.Attr):
        keys.append(base.name)
        base = base.target
    if isinstance(base, n.Name):
        return _chain(base.name, tuple(reversed(keys)), lenient)
    target = compile_expr(node.target, lenient)
    key = node.name
    path = path_of(node) or f"...{key}"

    def get(st: rt.State) -> Any:
        obj = target(st)
        if type(obj) is dict:
            try:
                return obj[key]
            except KeyError:
                pass
        else:
            try:
                return rt.lookup(obj, key)
            except rt.Missing:
                pass
        if lenient:
            return UNDEFINED
        raise rt.undefined_error(path, obj)
    return get


def _item(node: n.Item, lenient: bool) -> Fn:
    target = compile_expr(node.target, lenient)
    key_fn = compile_expr(node.key)
    base = path_of(node.target) or "value"

    def get(st: rt.State) -> Any:
        obj = target(st)
        key = key_fn(st)
        if isinstance(key, str) and key.startswith("__"):
            raise ExpressionError(f"Access to '{key}' is not allowed")
        try:
            return rt.lookup(obj, key)
        except rt.Missing:
            if lenient:
                return UNDEFINED
            raise rt.undefined_error(f"{base}[{rt.key_text(key)}]", obj) from None
    return get


def _unary(node: n.Unary, lenient: bool) -> Fn:
    operand = compile_expr(node.operand)
    if node.op == "not":
        return lambda st: not truthy(operand(st))
    if node.op == "+":
        return lambda st: _negate(operand(st), 1)
    return lambda st: _negate(operand(st), -1)


def _negate(value: Any, sign: int) -> Any:
    if not is_number(value):
        raise ExpressionError(f"Unary '{'-' if sign < 0 else '+'}' needs a number, got {type_name(value)}")
    return -value if sign < 0 else value


def _ternary(node: n.Ternary, lenient: bool) -> Fn:
    cond, other = compile_expr(node.cond), compile_expr(node.other)
    if node.then is None:
        def elvis(st: rt.State) -> Any:
            value = cond(st)
            return value if truthy(value) else other(st)
        return elvis
    then = compile_expr(node.then)
    return lambda st: then(st) if truthy(cond(st)) else other(st)


def _binary(node: n.Binary, lenient: bool) -> Fn:
    op = node.op
    if op in ("??", "???"):
        return _coalesce(node)
    a, b = compile_expr(node.left), compile_expr(node.right)
    if op == "and":
        return lambda st: truthy(a(st)) and truthy(b(st))
    if op == "or":
        return lambda st: truthy(a(st)) or truthy(b(st))
    if op in ("==", "equals"):
        return lambda st: equals(a(st), b(st))
    if op == "!=":
        return lambda st: not equals(a(st), b(st))
    if op in ("<", ">", "<=", ">="):
        return lambda st: compare(op, a(st), b(st))
    if op == "~":
        return lambda st: rt.concat(st, a(st), b(st))
    if op == "+":
        return lambda st: rt.add(st, a(st), b(st))
    if op == "..":
        return lambda st: rt.make_range(st, a(st), b(st))
    if op == "contains":
        return lambda st: rt.contains(st, a(st), b(st))
    if op == "matches":
        return lambda st: matches(st, a(st), b(st))
    if op == "in":
        return lambda st: rt.contains(st, b(st), a(st))
    if op == "not in":
        return lambda st: not rt.contains(st, b(st), a(st))
    if op == "-":
        return lambda st: rt.subtract(st, a(st), b(st))
    simple: dict[str, Callable[[Any, Any], Any]] = {"*": rt.multiply, "/": rt.divide, "%": rt.modulo}
    fn = simple[op]
    return lambda st: fn(a(st), b(st))


def _coalesce(node: n.Binary) -> Fn:
    a, b = compile_expr(node.left, lenient=True), compile_expr(node.right)
    # As Kestra, an undefined lookup anywhere on the left (e.g. inside `a ?? b` of `a ?? b ?? c`)
    # selects the right side.
    if node.op == "??":
        def null_coalesce(st: rt.State) -> Any:
            try:
                value = a(st)
            except UndefinedError:
                return b(st)
            return b(st) if value is None or value is UNDEFINED else value
        return null_coalesce

    def undefined_coalesce(st: rt.State) -> Any:
        try:
            value = a(st)
        except UndefinedError:
            return b(st)
        return b(st) if value is UNDEFINED else value
    return undefined_coalesce


def _args(args: n.Args) -> tuple[list[Fn], list[tuple[str, Fn]]]:
    return [compile_expr(a) for a in args.positional], [(k, compile_expr(v)) for k, v in args.named]


def _filter(node: n.Filter, lenient: bool) -> Fn:
    target = compile_expr(node.target, lenient=node.name in LENIENT_FILTERS)
    positional, named = _args(node.args)
    name = node.name
    if not positional and not named:
        return lambda st: call_filter(st, name, target(st), (), {})

    def apply(st: rt.State) -> Any:
        return call_filter(st, name, target(st), [f(st) for f in positional], {k: f(st) for k, f in named})
    return apply


def _test(node: n.Test, lenient: bool) -> Fn:
    target = compile_expr(node.target, lenient=node.name in LENIENT_TESTS)
    positional, _ = _args(node.args)
    name, negated = node.name, node.negated

    def check(st: rt.State) -> bool:
        result = run_test(name, target(st), [f(st) for f in positional])
        return not result if negated else result
    return check


def _call(node: n.Call, lenient: bool) -> Fn:
    positional, named = _args(node.args)
    name = node.name

    def call(st: rt.State) -> Any:
        return call_function(st, name, [f(st) for f in positional], {k: f(st) for k, f in named})
    return call


_COMPILERS: Mapping[type, Callable[[Any, bool], Fn]] = {
    n.Literal: _literal, n.ListLit: _list, n.MapLit: _map, n.Name: _name, n.Attr: _attr, n.Item: _item,
    n.Unary: _unary, n.Binary: _binary, n.Ternary: _ternary, n.Filter: _filter, n.Test: _test,
    n.Call: _call,
}
