"""Pebble's grammar: a recursive-descent template parser over a precedence-climbing expression parser."""

from __future__ import annotations

from legato.expressions import nodes as n
from legato.expressions.errors import ExpressionError
from legato.expressions.lexer import (
    EOF,
    INTERPOLATED,
    NAME,
    NUMBER,
    OP,
    PRINT_CLOSE,
    PRINT_OPEN,
    STRING,
    TAG_CLOSE,
    TAG_OPEN,
    TEXT,
    Token,
    tokenize,
)
from legato.expressions.limits import LimitExceeded

# Pebble's precedences (higher binds tighter); `??`/`???` as Kestra registers them.
BINARY = {
    "or": 10, "and": 15,
    "==": 20, "!=": 20, "<": 20, ">": 20, "<=": 20, ">=": 20, "equals": 20,
    "contains": 20, "in": 20, "not in": 20, "matches": 20,
    "+": 30, "-": 30, "*": 60, "/": 60, "%": 60,
    "|": 100, "is": 100, "~": 110, "??": 120, "???": 120, "..": 120,
}
_KEYWORDS = {"true": True, "false": False, "null": None, "none": None, "True": True, "False": False}
_BLOCK_TAGS = {"if", "for", "set", "macro"}
_END_TAGS = {"elseif", "elif", "else", "endif", "endfor", "endmacro", "endraw"}


def check_name(name: str, tok: Token, parser: Parser) -> str:
    """Dunder names are how template injections reach an object model: refuse them outright."""
    if name.startswith("__"):
        raise parser.fail(f"Access to '{name}' is not allowed", tok)
    return name


class Parser:
    def __init__(self, source: str, max_depth: int = 100) -> None:
        self.source = source
        self.toks = tokenize(source)
        self.i = 0
        self.depth = 0
        self.max_depth = max_depth
        self.open_tags: list[Token] = []  # the block tags being parsed, for "missing end tag" errors

    # --- helpers ---------------------------------------------------------------------------------

    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def fail(self, message: str, tok: Token | None = None) -> ExpressionError:
        t = tok or self.tok
        return ExpressionError(message, expression=self.source, line=t.line, column=t.column)

    def next(self) -> Token:
        t = self.toks[self.i]
        self.i += 1
        return t

    def at(self, kind: str, value: object = None) -> bool:
        t = self.tok
        return t.kind == kind and (value is None or bool(t.value == value))

    def at_op(self, value: str) -> bool:
        t = self.tok
        return t.kind == OP and bool(t.value == value)

    def expect(self, kind: str, value: object = None) -> Token:
        if not self.at(kind, value):
            want = value if value is not None else kind
            raise self.fail(f"Expected '{want}' but found {describe(self.tok)}")
        return self.next()

    def enter(self) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            t = self.tok
            raise LimitExceeded("depth", f"Expression nested too deeply (depth limit {self.max_depth})",
                                expression=self.source, line=t.line, column=t.column)

    # --- templates -------------------------------------------------------------------------------

    def template(self) -> tuple[n.Node, ...]:
        body, _ = self.block(())
        return body

    def block(self, ends: tuple[str, ...]) -> tuple[tuple[n.Node, ...], str | None]:
        """Statements up to one of `ends` (whose name is returned, its tag left open) or EOF."""
        out: list[n.Node] = []
        while not self.at(EOF):
            t = self.next()
            if t.kind == TEXT:
                out.append(n.Text(t.line, t.column, t.value))
            elif t.kind == PRINT_OPEN:
                expr = self.expression()
                self.expect(PRINT_CLOSE)
                out.append(n.Print(t.line, t.column, expr))
            elif t.kind == TAG_OPEN:
                name_tok = self.expect(NAME)
                if name_tok.value in ends:
                    return tuple(out), name_tok.value
                out.append(self.tag(name_tok))
            else:
                raise self.fail(f"Unexpected {describe(t)}", t)
        if ends:
            opener = self.open_tags[-1] if self.open_tags else None
            after = f" to close the '{{% {opener.value} %}}' of line {opener.line}" if opener is not None else ""
            raise self.fail(f"Missing '{{% {ends[-1]} %}}'{after}", opener)
        return tuple(out), None

    def tag(self, t: Token) -> n.Node:
        if t.value in _END_TAGS:
            raise self.fail(f"Unexpected '{{% {t.value} %}}' without a matching opening tag", t)
        if t.value not in _BLOCK_TAGS:
            raise self.fail(f"Unknown tag '{t.value}'", t)
        self.enter()
        opener = self.toks[self.i - 2]  # the '{%' before the tag's name: where the user sees the tag start
        self.open_tags.append(Token(t.kind, t.value, opener.line, opener.column))
        try:
            if t.value == "if":
                return self.if_tag(t)
            if t.value == "for":
                return self.for_tag(t)
            if t.value == "set":
                name = check_name(self.expect(NAME).value, t, self)
                self.expect(OP, "=")
                expr = self.expression()
                self.expect(TAG_CLOSE)
                return n.Set(t.line, t.column, name, expr)
            return self.macro_tag(t)
        finally:
            self.open_tags.pop()
            self.depth -= 1

    def if_tag(self, t: Token) -> n.Node:
        branches: list[tuple[n.Node, tuple[n.Node, ...]]] = []
        cond = self.expression()
        while True:
            self.expect(TAG_CLOSE)
            body, end = self.block(("elseif", "elif", "else", "endif"))
            branches.append((cond, body))
            if end in ("elseif", "elif"):
                cond = self.expression()
                continue
            otherwise: tuple[n.Node, ...] = ()
            if end == "else":
                self.expect(TAG_CLOSE)
                otherwise, _ = self.block(("endif",))
            self.expect(TAG_CLOSE)
            return n.If(t.line, t.column, tuple(branches), otherwise)

    def for_tag(self, t: Token) -> n.Node:
        var = check_name(self.expect(NAME).value, t, self)
        self.expect(NAME, "in")
        iterable = self.expression()
        self.expect(TAG_CLOSE)
        body, end = self.block(("else", "endfor"))
        otherwise: tuple[n.Node, ...] = ()
        if end == "else":
            self.expect(TAG_CLOSE)
            otherwise, _ = self.block(("endfor",))
        self.expect(TAG_CLOSE)
        return n.For(t.line, t.column, var, iterable, body, otherwise)

    def macro_tag(self, t: Token) -> n.Node:
        name = check_name(self.expect(NAME).value, t, self)
        self.expect(OP, "(")
        params: list[tuple[str, n.Node | None]] = []
        while not self.at_op(")"):
            pname = check_name(self.expect(NAME).value, t, self)
            default = self.expression() if self.at_op("=") and self.next() else None
            params.append((pname, default))
            if not self.at_op(")"):
                self.expect(OP, ",")
        self.next()
        self.expect(TAG_CLOSE)
        body, _ = self.block(("endmacro",))
        self.expect(TAG_CLOSE)
        return n.Macro(t.line, t.column, name, tuple(params), body)

    # --- expressions -----------------------------------------------------------------------------

    def expression(self) -> n.Node:
        """A full expression, ternaries included."""
        self.enter()
        try:
            cond = self.binary(0)
            if not self.at_op("?"):
                return cond
            t = self.next()
            if self.at_op(":"):
                self.next()
                return n.Ternary(t.line, t.column, cond, None, self.expression())
            then = self.expression()
            self.expect(OP, ":")
            return n.Ternary(t.line, t.column, cond, then, self.expression())
        finally:
            self.depth -= 1

    def binary_op(self) -> str | None:
        t = self.tok
        if t.kind == OP and t.value in BINARY:
            return str(t.value)
        if t.kind == NAME:
            if t.value == "not" and self.toks[self.i + 1].kind == NAME and self.toks[self.i + 1].value == "in":
                return "not in"
            if t.value in BINARY:
                return str(t.value)
        return None

    def binary(self, min_prec: int) -> n.Node:
        left = self.unary()
        while (op := self.binary_op()) is not None and BINARY[op] >= min_prec:
            t = self.next()
            if op == "not in":
                self.next()
            if op == "|":
                left = self.filter_call(left)
            elif op == "is":
                left = self.test_call(left, t)
            else:
                self.enter()
                right = self.binary(BINARY[op] + 1)
                self.depth -= 1
                left = n.Binary(t.line, t.column, op, left, right)
        return left

    def unary(self) -> n.Node:
        t = self.tok
        if t.kind == NAME and t.value == "not":
            self.next()
            self.enter()
            operand = self.binary(5)
            self.depth -= 1
            return n.Unary(t.line, t.column, "not", operand)
        if t.kind == OP and t.value in ("-", "+"):
            self.next()
            self.enter()
            operand = self.binary(500)
            self.depth -= 1
            return n.Unary(t.line, t.column, t.value, operand)
        return self.postfix(self.primary())

    def filter_call(self, target: n.Node) -> n.Node:
        t = self.expect(NAME)
        args = self.arguments() if self.at_op("(") else n.Args()
        return n.Filter(t.line, t.column, target, t.value, args)

    def test_call(self, target: n.Node, t: Token) -> n.Node:
        negated = self.at(NAME, "not")
        if negated:
            self.next()
        name = self.expect(NAME)
        if name.value == "null" or name.value == "none":
            test = "null"
        else:
            test = str(name.value)
        args = self.arguments() if self.at_op("(") else n.Args()
        return n.Test(t.line, t.column, target, test, negated, args)

    def arguments(self) -> n.Args:
        self.expect(OP, "(")
        positional: list[n.Node] = []
        named: list[tuple[str, n.Node]] = []
        while not self.at_op(")"):
            if self.at(NAME) and self.toks[self.i + 1].kind == OP and self.toks[self.i + 1].value == "=":
                key = self.next()
                self.next()
                named.append((check_name(key.value, key, self), self.expression()))
            elif named:
                raise self.fail("Positional argument after a named argument")
            else:
                positional.append(self.expression())
            if not self.at_op(")"):
                self.expect(OP, ",")
        self.next()
        return n.Args(tuple(positional), tuple(named))

    def primary(self) -> n.Node:
        t = self.next()
        if t.kind in (NUMBER, STRING):
            return n.Literal(t.line, t.column, t.value)
        if t.kind == INTERPOLATED:
            return self.interpolated(t)
        if t.kind == NAME:
            if t.value in _KEYWORDS:
                return n.Literal(t.line, t.column, _KEYWORDS[t.value])
            name = check_name(t.value, t, self)
            if self.at_op("("):
                return n.Call(t.line, t.column, name, self.arguments())
            return n.Name(t.line, t.column, name)
        if t.kind == OP:
            if t.value == "(":
                inner = self.expression()
                self.expect(OP, ")")
                return inner
            if t.value == "[":
                return n.ListLit(t.line, t.column, tuple(self.sequence("]")))
            if t.value == "{":
                return self.map_literal(t)
        raise self.fail(f"Unexpected {describe(t)}", t)

    def interpolated(self, t: Token) -> n.Node:
        """"a #{x} b" is 'a' ~ x ~ ' b'."""
        result: n.Node = n.Literal(t.line, t.column, "")
        for piece in t.value:
            if isinstance(piece, str):
                part: n.Node = n.Literal(t.line, t.column, piece)
            else:
                self.enter()
                part = parse_expression(piece[0], self.max_depth - self.depth)
                self.depth -= 1
            result = n.Binary(t.line, t.column, "~", result, part)
        return result

    def sequence(self, close: str) -> list[n.Node]:
        items: list[n.Node] = []
        while not self.at_op(close):
            items.append(self.expression())
            if not self.at_op(close):
                self.expect(OP, ",")
        self.next()
        return items

    def map_literal(self, t: Token) -> n.Node:
        pairs: list[tuple[n.Node, n.Node]] = []
        while not self.at_op("}"):
            key = self.expression()
            self.expect(OP, ":")
            pairs.append((key, self.expression()))
            if not self.at_op("}"):
                self.expect(OP, ",")
        self.next()
        return n.MapLit(t.line, t.column, tuple(pairs))

    def postfix(self, node: n.Node) -> n.Node:
        while True:
            if self.at_op("."):
                t = self.next()
                attr = self.next()
                if attr.kind == NUMBER and isinstance(attr.value, int):
                    node = n.Item(t.line, t.column, node, n.Literal(attr.line, attr.column, attr.value))
                    continue
                if attr.kind != NAME:
                    raise self.fail(f"Expected an attribute name after '.' but found {describe(attr)}", attr)
                if self.at_op("("):
                    raise self.fail(f"Method calls are not allowed ('.{attr.value}(...)'); use a filter", attr)
                node = n.Attr(t.line, t.column, node, check_name(attr.value, attr, self))
            elif self.at_op("["):
                t = self.next()
                key = self.expression()
                self.expect(OP, "]")
                if isinstance(key, n.Literal) and isinstance(key.value, str):
                    check_name(key.value, t, self)
                node = n.Item(t.line, t.column, node, key)
            elif self.at_op("(") and not isinstance(node, n.Name):
                raise self.fail("Only named functions and macros can be called")
            else:
                return node


def describe(t: Token) -> str:
    if t.kind == EOF:
        return "end of template"
    if t.kind == TEXT:
        return "text"
    if t.kind in (PRINT_OPEN, PRINT_CLOSE, TAG_OPEN, TAG_CLOSE):
        return f"'{t.value}'"
    return f"'{t.value}'" if t.kind != STRING else f"string {t.value!r}"


def parse_template(source: str, max_depth: int = 100) -> tuple[n.Node, ...]:
    """Parse a template into statement nodes."""
    return Parser(source, max_depth).template()


def parse_expression(source: str, max_depth: int = 100) -> n.Node:
    """Parse a bare expression (no delimiters)."""
    try:
        p = Parser("{{" + source + "}}", max_depth)
        p.source = source
        p.expect(PRINT_OPEN)
        node = p.expression()
        if not p.at(PRINT_CLOSE) or p.toks[p.i + 1].kind != EOF:
            raise p.fail(f"Unexpected {describe(p.tok)} after the expression")
    except ExpressionError as e:
        if e.line == 1 and e.column is not None:  # positions counted the "{{" added above
            e.column = max(e.column - 2, 1)
        e.expression = source
        e.args = (str(e),)
        raise
    return node
