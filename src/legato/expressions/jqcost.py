"""A worst-case bound on what a jq program costs, so that the bounded ones can run in this process.

jq runs in C and holds the GIL: a program that loops (`def f: f; f`, `repeat`, `range(1e9)`) or doubles
(`[.[] , .[]] | [.[] , .[]] | ...`) cannot be stopped from Python, so by default it runs in a child process
that is killed at the render's deadline (legato.offload). That costs a round trip per call, more than the
jq work of a typical `map(.n) | add` itself. This module reads a jq program and, when it is made only of
constructs whose cost it can bound (paths, `.[]`, pipes, commas, literals, arithmetic, comparisons,
`if`, array and object construction, and a list of builtins that are linear or n log n in their input),
gives monomial bounds, in the size `s` of the input's JSON text, on the number of outputs, the total JSON
size of the outputs, and the work. Anything else (definitions, variables, reductions, recursion, regex
builtins, assignments, unknown names) is "unbounded" and stays in the child.

The bounds compose: `f | g` applies g's bound to each output of f (sum of a_i^d <= (sum of a_i)^d); `f, g`
adds; an operator or an object over several sub-filters multiplies their output counts (jq's cartesian
products). The work is in units of about 100 ns of jq time (JSON parse and print included), with each
builtin's coefficient taken from measurements with margin; see `fits()` for the budget.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

BUDGET = 100_000  # work units (~100 ns each) that may run in this process, GIL held: about 10 ms
MAX_DEGREE = 4  # a bound of a higher degree in the input's size is as good as none


class Unbounded(Exception):
    """The program uses something this module does not bound."""


@dataclass(frozen=True, slots=True)
class Poly:
    """sum of c[k] * s**k (non-negative coefficients, degree at most MAX_DEGREE): an upper bound for s >= 1."""

    c: tuple[float, ...]

    def __add__(self, other: Poly) -> Poly:
        return Poly(tuple(a + b for a, b in zip(self.c, other.c, strict=True)))

    def __mul__(self, other: Poly) -> Poly:
        out = [0.0] * (MAX_DEGREE + 1)
        for i, a in enumerate(self.c):
            for j, b in enumerate(other.c):
                if a and b:
                    if i + j > MAX_DEGREE:
                        raise Unbounded(f"a bound of degree {i + j}")
                    out[i + j] += a * b
        return Poly(tuple(out))

    def at(self, s: int) -> float:
        return sum(c * float(s) ** k for k, c in enumerate(self.c))


def Mono(c: float, d: int) -> Poly:
    """c * s**d."""
    if d > MAX_DEGREE:
        raise Unbounded(f"a bound of degree {d}")
    return Poly(tuple(float(c) if k == d else 0.0 for k in range(MAX_DEGREE + 1)))


ONE, ZERO, S = Mono(1, 0), Mono(0, 0), Mono(1, 1)


@dataclass(frozen=True, slots=True)
class Bound:
    """Of one filter run on an input of JSON size s: outputs, sum of (output JSON size + 1), work."""

    cnt: Poly
    out: Poly
    work: Poly


def _over(g: Poly, f: Bound) -> Poly:
    """Sum of g(size of y) over the outputs y of f: g[0] per output, and sum of a_i**k <= (sum of a_i)**k."""
    total = Mono(g.c[0], 0) * f.cnt
    power = f.out
    for k in range(1, MAX_DEGREE + 1):
        if g.c[k]:
            total = total + Mono(g.c[k], 0) * power
        if k < MAX_DEGREE and any(g.c[k + 1:]):
            power = power * f.out
    return total


def pipe(f: Bound, g: Bound) -> Bound:
    return Bound(_over(g.cnt, f), _over(g.out, f), f.work + _over(g.work, f))


def comma(f: Bound, g: Bound) -> Bound:
    return Bound(f.cnt + g.cnt, f.out + g.out, f.work + g.work)


IDENTITY = Bound(ONE, S, ONE)
ITERATE = Bound(Mono(0.5, 1), S, S)  # an array of n items prints as at least 2n + 1 characters


@dataclass(frozen=True, slots=True)
class Cost:
    """Of one result of an operator, per combination of its operands' outputs: with `total` the sum and
    `product` the product of the operands' sizes, size <= k*total + extra + qs*product and
    work <= w*total + qw*product (the product: matching every part of one against the other)."""

    k: float
    extra: float
    w: float
    qs: float = 0
    qw: float = 0


def combo(args: list[Bound], cost: Cost, with_input: bool = False) -> Bound:
    """A result per combination of the operands' outputs (jq's cartesian product; all of them run on the same
    input, which is an operand itself `with_input`, as for `has(k)`)."""
    operands = [IDENTITY, *args] if with_input else args
    total, cnt, work = ZERO, ONE, ZERO
    for a in operands:
        total = total + a.out
        cnt = cnt * a.cnt
        work = work + a.work
    each_size = total * Mono(cost.k, 0) + Mono(cost.extra + 1, 0)
    each_work = total * Mono(cost.w, 0) + ONE
    if cost.qs or cost.qw:
        product = ONE
        for a in operands:
            product = product * a.out
        each_size = each_size + product * Mono(cost.qs, 0)
        each_work = each_work + product * Mono(cost.qw, 0)
    return Bound(cnt, cnt * each_size, work + cnt * each_work)


def _const(size: int) -> Bound:
    return Bound(ONE, Mono(size + 1, 0), ONE)


# builtins of no argument: (outputs, output size, work) in the input's size
_UNARY: dict[str, Bound] = {}
for _names, _out, _work in (
    ("length utf8bytelength", Mono(26, 0), S),
    ("type", Mono(10, 0), ONE),
    ("not any all isnan isinfinite isnormal", Mono(6, 0), Mono(2, 1)),
    ("floor ceil round sqrt fabs log log2 log10 exp exp2 exp10 trunc significand tonumber infinite nan now abs",
     Mono(26, 0), Mono(1, 1)),
    ("values nulls booleans numbers strings arrays objects iterables scalars first last", S, ONE),
    ("add min max reverse sort unique from_entries", S, Mono(10, 1)),
    ("keys keys_unsorted", Mono(4, 1), Mono(10, 1)),
    ("flatten", S, Mono(60, 1)),
    ("to_entries", Mono(12, 1), Mono(30, 1)),
    ("tostring tojson @json @text", Mono(2, 1), Mono(3, 1)),
    ("fromjson", Mono(8, 1), Mono(5, 1)),
    ("ascii_downcase ascii_upcase", S, Mono(80, 1)),
    ("trim ltrim rtrim @base64d @base32d", Mono(2, 1), Mono(3, 1)),
    ("explode", Mono(8, 1), Mono(10, 1)),
    ("implode @csv @tsv", Mono(6, 1), Mono(10, 1)),
    ("@base64 @html @sh", Mono(6, 1), Mono(8, 1)),
    ("@base32", Mono(8, 1), Mono(10, 1)),
    ("@uri", Mono(12, 1), Mono(14, 1)),
):
    for _name in _names.split():
        _UNARY[_name] = Bound(ONE, _out + ONE, _work + ONE)

# builtins of one argument, run with the input as an operand
_BINARY: dict[str, Cost] = {}
for _names, _cost in (
    ("has in startswith endswith", Cost(0, 6, 2)),
    ("contains inside", Cost(0, 6, 2, qw=2)),
    ("ltrimstr rtrimstr", Cost(1, 0, 2)),
    ("split", Cost(3, 2, 2, qw=2)),
    ("index rindex indices", Cost(8, 2, 2, qw=2)),
    ("join", Cost(1, 2, 40, qs=1, qw=40)),  # the input's items with the separator between each pair
    ("flatten", Cost(1, 0, 60)),
):
    for _name in _names.split():
        _BINARY[_name] = _cost

_COMPARE = Cost(0, 6, 4)
_OPS: dict[str, Cost] = {
    "+": Cost(1, 2, 2), "-": Cost(1, 26, 2, qw=2), "/": Cost(3, 26, 2, qw=2), "%": Cost(0, 26, 1),
    "==": _COMPARE, "!=": _COMPARE, "<": _COMPARE, "<=": _COMPARE, ">": _COMPARE, ">=": _COMPARE,
}

_TOKEN = re.compile(r"""
    (?P<ws>\s+|\#[^\n]*)
  | (?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)
  | (?P<field>\.[A-Za-z_][A-Za-z0-9_]*)
  | (?P<dotdot>\.\.)
  | (?P<format>@[A-Za-z0-9_]+)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op>\?//|//=|\|=|\+=|-=|\*=|/=|%=|==|!=|<=|>=|//|[.|,+\-*/%=<>()\[\]{}:;?$])
""", re.VERBOSE)
_STRING_PART = re.compile(r'(?:[^"\\]|\\[^(])*')
_KEYWORDS = frozenset({"if", "then", "elif", "else", "end", "and", "or", "as", "def", "reduce", "foreach",
                       "try", "catch", "label", "import", "include", "__loc__"})


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # num, field, format, name, op, str, end
    text: str
    parts: tuple[tuple[_Tok, ...], ...] = ()  # a string's interpolations, each tokenized
    size: int = 0  # a string's literal characters


def _tokenize(text: str, pos: int = 0, close: bool = False) -> tuple[list[_Tok], int]:
    """Tokens of `text` from `pos`; with `close`, up to the `)` that ends a string interpolation."""
    out: list[_Tok] = []
    depth = 0
    while pos < len(text):
        c = text[pos]
        if c == '"':
            tok, pos = _string(text, pos + 1)
            out.append(tok)
            continue
        m = _TOKEN.match(text, pos)
        if m is None:
            raise Unbounded(f"unexpected {c!r}")
        pos = m.end()
        kind = m.lastgroup or ""
        if kind == "ws":
            continue
        if kind == "dotdot":
            raise Unbounded("..")
        value = m.group()
        if close and kind == "op" and value in "([{":
            depth += 1
        elif close and kind == "op" and value in ")]}":
            if value == ")" and depth == 0:
                return out, pos
            depth -= 1
        out.append(_Tok(kind, value))
    if close:
        raise Unbounded("unterminated interpolation")
    out.append(_Tok("end", ""))
    return out, pos


def _string(text: str, pos: int) -> tuple[_Tok, int]:
    parts: list[tuple[_Tok, ...]] = []
    size = 0
    while True:
        m = _STRING_PART.match(text, pos)
        assert m is not None
        size += len(m.group())
        pos = m.end()
        if pos >= len(text):
            raise Unbounded("unterminated string")
        if text[pos] == '"':
            return _Tok("str", "", tuple(parts), size), pos + 1
        inner, pos = _tokenize(text, pos + 2, close=True)  # after `\(`
        parts.append((*inner, _Tok("end", "")))


class _Parser:
    """Recursive descent over jq's grammar, keeping only the constructs that have a bound."""

    def __init__(self, tokens: list[_Tok] | tuple[_Tok, ...]) -> None:
        self.toks = tokens
        self.i = 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self, text: str | None = None) -> _Tok:
        tok = self.toks[self.i]
        if text is not None and (tok.kind not in ("op", "name") or tok.text != text):
            raise Unbounded(f"expected {text!r}")
        self.i += 1
        return tok

    def at(self, *texts: str) -> bool:
        tok = self.peek()
        return tok.kind in ("op", "name") and tok.text in texts

    def program(self) -> Bound:
        bound = self.pipe()
        if self.peek().kind != "end":
            raise Unbounded(f"unexpected {self.peek().text!r}")
        return bound

    def pipe(self) -> Bound:
        left = self.comma()
        while self.at("|"):
            self.take()
            left = pipe(left, self.comma())
        return left

    def comma(self) -> Bound:
        left = self.alternative()
        while self.at(","):
            self.take()
            left = comma(left, self.alternative())
        return left

    def alternative(self) -> Bound:
        left = self.logic("or")
        if self.at("//"):
            self.take()
            return comma(left, self.alternative())
        if self.at("=", "|=", "+=", "-=", "*=", "/=", "%=", "//=", "?//", "as"):
            raise Unbounded(self.peek().text)
        return left

    def logic(self, op: str) -> Bound:
        left = self.logic("and") if op == "or" else self.compare()
        while self.at(op):
            self.take()
            right = self.logic("and") if op == "or" else self.compare()
            right = Bound(right.cnt + ONE, right.out, right.work)  # short circuit: one output, or right's
            left = combo([left, right], Cost(0, 6, 0))
        return left

    def compare(self) -> Bound:
        left = self.additive()
        if self.at("==", "!=", "<", "<=", ">", ">="):
            cost = _OPS[self.take().text]
            left = combo([left, self.additive()], cost)
        return left

    def additive(self) -> Bound:
        left = self.multiplicative()
        while self.at("+", "-"):
            cost = _OPS[self.take().text]
            left = combo([left, self.multiplicative()], cost)
        return left

    def multiplicative(self) -> Bound:
        left, number = self.unary()
        while self.at("*", "/", "%"):
            op = self.take().text
            right, right_number = self.unary()
            if op == "*":  # a string times a number repeats it: bounded only by a literal count
                times = number if number is not None else right_number
                if times is None:
                    raise Unbounded("* of two computed values")
                factor = max(abs(times), 1.0) + 1
                cost = Cost(factor, 26, factor)
            else:
                cost = _OPS[op]
            left, number = combo([left, right], cost), None
        return left

    def unary(self) -> tuple[Bound, float | None]:
        if self.at("-"):
            self.take()
            inner, number = self.unary()
            return pipe(inner, _const(26)), None if number is None else -number
        return self.postfix()

    def postfix(self) -> tuple[Bound, float | None]:
        term, number = self.term()
        while True:
            tok = self.peek()
            if tok.kind == "field":
                self.take()
                term, number = pipe(term, IDENTITY), None
            elif tok.kind == "op" and tok.text == "." and self.toks[self.i + 1].kind == "str":
                self.take()
                self.take()
                term, number = pipe(term, IDENTITY), None
            elif tok.kind == "op" and tok.text in ("[", "."):
                if tok.text == "." and not (self.toks[self.i + 1].kind == "op" and self.toks[self.i + 1].text == "["):
                    return term, number
                if tok.text == ".":
                    self.take()
                term, number = self.index(term), None
            elif tok.kind == "op" and tok.text == "?":
                self.take()
            else:
                return term, number

    def index(self, term: Bound) -> Bound:
        """`term[]`, `term[f]` and `term[f:g]`; f and g run on the same input as term."""
        self.take("[")
        if self.at("]"):
            self.take()
            return pipe(term, ITERATE)
        skip = 1 if self.at("-") and self.toks[self.i + 1].kind == "num" else 0  # .[-1]
        first, after = self.toks[self.i + skip], self.toks[self.i + skip + 1]
        if first.kind in ("num", "str") and not first.parts and after.kind == "op" and after.text == "]":
            self.i += skip + 2  # a literal key or index: one part of term's output
            return pipe(term, IDENTITY)
        args = [term]
        if not self.at(":"):
            args.append(self.pipe())
        if self.at(":"):
            self.take()
            if not self.at("]"):
                args.append(self.pipe())
            self.take("]")
            return combo(args, Cost(1, 2, 1))
        self.take("]")
        return combo(args, Cost(8, 2, 2, qw=2))  # an array index into an array gives the indices

    def term(self) -> tuple[Bound, float | None]:
        tok = self.take()
        if tok.kind == "num":
            return _const(len(tok.text)), float(tok.text)
        if tok.kind == "str":
            return self.string(tok), None
        if tok.kind == "field":
            return IDENTITY, None
        if tok.kind == "format":
            if self.peek().kind == "str" or tok.text not in _UNARY:
                raise Unbounded(tok.text)
            return _UNARY[tok.text], None
        if tok.kind == "name":
            return self.call(tok.text), None
        if tok.text == ".":
            if self.peek().kind == "str":  # ."key"
                self.take()
            return IDENTITY, None
        if tok.text == "(":
            inner = self.pipe()
            self.take(")")
            return inner, None
        if tok.text == "[":
            if self.at("]"):
                self.take()
                return _const(2), None
            inner = self.pipe()
            self.take("]")
            return Bound(ONE, inner.out + Mono(3, 0), inner.work + inner.out), None
        if tok.text == "{":
            return self.object(), None
        raise Unbounded(tok.text or "end of program")

    def string(self, tok: _Tok) -> Bound:
        if not tok.parts:
            return _const(tok.size + 2)
        args = [_Parser(part).program() for part in tok.parts]
        return combo(args, Cost(2, tok.size + 2, 3))

    def object(self) -> Bound:
        args: list[Bound] = []
        keys = 2
        while not self.at("}"):
            tok = self.take()
            if tok.kind == "name" or tok.kind == "num":
                keys += len(tok.text) + 4
                value = IDENTITY
            elif tok.kind == "str":
                keys += tok.size + 4
                if tok.parts:
                    args.append(self.string(tok))
                value = IDENTITY
            elif tok.kind == "op" and tok.text == "(":
                args.append(self.pipe())
                self.take(")")
                value = IDENTITY
            else:
                raise Unbounded(tok.text)
            if self.at(":"):
                self.take()
                value = self.object_value()
            args.append(value)
            if not self.at("}"):
                self.take(",")
        self.take("}")
        return combo(args, Cost(1, keys, 1))

    def object_value(self) -> Bound:
        """jq's ExpD: terms joined by `|` (an object's `,` separates entries)."""
        left, _ = self.unary()
        while self.at("|"):
            self.take()
            right, _ = self.unary()
            left = pipe(left, right)
        return left

    def call(self, name: str) -> Bound:
        if name in ("true", "false", "null"):
            return _const(5)
        if name == "if":
            return self.conditional()
        if name in _KEYWORDS:
            raise Unbounded(name)
        args: list[Bound] = []
        if self.at("("):
            self.take()
            args.append(self.pipe())
            while self.at(";"):
                self.take()
                args.append(self.pipe())
            self.take(")")
        return _builtin(name, args, self)

    def conditional(self) -> Bound:
        cond = self.pipe()
        self.take("then")
        branch = self.pipe()
        if self.at("elif"):
            self.take()
            rest = self.conditional()
            return _branches(cond, branch, rest)
        rest = IDENTITY
        if self.at("else"):
            self.take()
            rest = self.pipe()
        self.take("end")
        return _branches(cond, branch, rest)


def _branches(cond: Bound, then: Bound, other: Bound) -> Bound:
    both = comma(then, other)
    return Bound(cond.cnt * both.cnt, cond.cnt * both.out, cond.work + cond.cnt * both.work)


def _builtin(name: str, args: list[Bound], parser: _Parser) -> Bound:
    if not args:
        if name == "empty":
            return Bound(ZERO, ZERO, ONE)
        if name == "error":
            return Bound(ZERO, ZERO, ONE)
        if name in _UNARY:
            return _UNARY[name]
        raise Unbounded(name)
    if len(args) != 1:
        raise Unbounded(f"{name}/{len(args)}")
    (f,) = args
    if name == "map":
        return Bound(ONE, pipe(ITERATE, f).out + Mono(3, 0), pipe(ITERATE, f).work + pipe(ITERATE, f).out)
    if name == "select":
        return Bound(f.cnt, f.cnt * S, f.work + f.cnt)
    if name == "error":
        return Bound(ZERO, ZERO, f.work)
    if name in ("first", "last"):
        return Bound(ONE, f.out, f.work)
    if name in ("any", "all", "isempty"):
        each = pipe(ITERATE, f) if name != "isempty" else f
        return Bound(ONE, Mono(7, 0), each.work + each.cnt)
    if name in ("sort_by", "group_by", "unique_by", "min_by", "max_by"):
        keys = pipe(ITERATE, Bound(ONE, f.out + Mono(3, 0), f.work + f.out))
        sort = keys.out * Mono(10, 0) + Mono(10, 1)
        return Bound(ONE, Mono(3, 1) + ONE, keys.work + sort)
    if name == "map_values":
        each = pipe(ITERATE, f)
        return Bound(ONE, S + each.out + ONE, each.work + S)
    if name == "with_entries":
        entries = _UNARY["to_entries"]
        mapped = pipe(entries, _builtin("map", [f], parser))
        return pipe(mapped, _UNARY["from_entries"])
    if name in _BINARY:
        return combo([f], _BINARY[name], with_input=True)
    raise Unbounded(f"{name}/1")


@functools.lru_cache(maxsize=512)
def bound(program: str) -> Bound | None:
    """The program's bound, or None when it uses anything this module does not bound."""
    try:
        tokens, _ = _tokenize(program)
        return _Parser(tokens).program()
    except (Unbounded, IndexError, ValueError, OverflowError, RecursionError):
        return None


def fits(program: str, input_chars: int, max_output_chars: int) -> bool:
    """Whether `program` on an input of `input_chars` JSON characters surely ends within BUDGET and gives
    less than `max_output_chars` of JSON (measured with spaces after separators, as the child does)."""
    return input_chars <= largest_input(program, max_output_chars)


@functools.lru_cache(maxsize=512)
def largest_input(program: str, max_output_chars: int) -> int:
    """The largest input (in JSON characters) on which `program` fits; -1 when none does. The bounds grow with
    the input, so a binary search finds it, once per program and limit."""
    found = bound(program)
    if found is None:
        return -1

    def ok(chars: int) -> bool:
        s = chars + 1
        out = found.out.at(s)
        return 2 * s + found.work.at(s) + 2 * out + found.cnt.at(s) <= BUDGET and 2 * out <= max_output_chars

    if not ok(0):
        return -1
    low, high = 0, BUDGET  # the input alone costs 2 units a character: never more than BUDGET characters
    while low < high:
        middle = (low + high + 1) // 2
        if ok(middle):
            low = middle
        else:
            high = middle - 1
    return low
