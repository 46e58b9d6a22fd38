"""What a template uses, read without rendering it: syntax errors, unknown functions, filters and tests, and the
task ids and input ids it refers to (for `legato flow validate` and the editor's validation).

Names are judged against Legato's own functions and filters, the I/O functions the runtime injects, and
Kestra's documented list (Pebble's core plus Kestra's extension, 1.x and 2.0): a flow valid for Kestra is not
flagged even where Legato lacks the function. References are reported only when static: `outputs.a.b` and
`outputs['a']`, never `outputs[taskrun.value]`; names a template binds itself (`{% set %}`, `{% for %}`,
macro parameters) shadow the context.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from legato.expressions import nodes as n
from legato.expressions.calls import FILTERS, FUNCTIONS, TESTS
from legato.expressions.errors import ExpressionError
from legato.expressions.functions import INJECTED
from legato.expressions.parser import parse_template

# Kestra's (and Pebble's) functions, filters and tests, as documented for 1.x and 2.0.
KESTRA_FUNCTIONS = frozenset({
    "now", "json", "fromJson", "currentEachOutput", "secret", "credential", "kv", "read", "fileURI", "render",
    "renderOnce", "encrypt", "decrypt", "yaml", "printContext", "fetchContext", "uuid", "id", "ksuid", "nanoId",
    "fromIon", "fileSize", "fileExists", "fileEmpty", "isFileEmpty", "errorLogs", "randomInt", "randomPort",
    "http", "tasksWithState", "iterationOutput", "parentOutput", "appLink", "block", "parent", "i18n", "max",
    "min", "range", "isWeekend", "isPublicHoliday", "isDayWeekInMonth", "isLastWorkingDay", "dayOfWeek",
    "hourOfDay", "dayOfMonth", "monthOfYear", "loopOutputs", "toJson",
})
KESTRA_FILTERS = frozenset({
    "abbreviate", "abs", "base64decode", "base64encode", "capitalize", "date", "default", "escape", "first",
    "join", "last", "length", "lower", "numberformat", "raw", "replace", "reverse", "rsort", "sha256", "slice",
    "sort", "split", "title", "trim", "upper", "urlencode", "merge", "chunk", "className", "dateAdd",
    "timestamp", "timestampMicro", "timestampNano", "jq", "escapeChar", "json", "toJson", "toIon", "keys",
    "values", "number", "urldecode", "slugify", "substringBefore", "substringBeforeLast", "substringAfter",
    "substringAfterLast", "flatten", "indent", "nindent", "yaml", "startsWith", "endsWith", "sha1", "sha512",
    "md5", "distinct", "string", "fromJson", "jsonEncode", "format",
})
KESTRA_TESTS = frozenset({"defined", "empty", "even", "odd", "iterable", "map", "null", "json"})

KNOWN_FUNCTIONS = frozenset(FUNCTIONS) | INJECTED | KESTRA_FUNCTIONS
KNOWN_FILTERS = frozenset(FILTERS) | KESTRA_FILTERS
KNOWN_TESTS = frozenset(TESTS) | KESTRA_TESTS


@dataclass(frozen=True)
class Use:
    """One thing a template uses, at a line and column of the template (1-based)."""

    kind: str  # function, filter, test, output, input
    name: str
    line: int
    column: int


@dataclass
class Facts:
    """What a template uses; `error` when it does not parse (then nothing else is known)."""

    error: ExpressionError | None = None
    uses: list[Use] = field(default_factory=list)

    def unknown(self) -> Iterator[Use]:
        """Functions, filters and tests that neither Legato nor Kestra knows (macros of the template excepted)."""
        macros = {u.name for u in self.uses if u.kind == "macro"}
        known = {"function": KNOWN_FUNCTIONS | macros, "filter": KNOWN_FILTERS, "test": KNOWN_TESTS}
        for use in self.uses:
            if use.kind in known and use.name not in known[use.kind]:
                yield use

    def references(self, kind: str) -> Iterator[Use]:
        """Static references (`output`, `input`) not guarded anywhere in the template by `??`, `is defined`,
        `is null` or `| default` (so `{% if outputs.a is defined %}{{ outputs.a.b }}{% endif %}` is fine)."""
        guarded = {u.name for u in self.uses if u.kind == f"guarded-{kind}"}
        return (u for u in self.uses if u.kind == kind and u.name not in guarded)


def scan(template: str) -> Facts:
    """The facts of one template (text with `{{ }}`/`{% %}`)."""
    try:
        statements = parse_template(template)
    except ExpressionError as exc:
        return Facts(error=exc)
    walker = _Walker()
    walker.bound = _bound_names(statements)
    walker.statements(statements)
    return Facts(uses=walker.uses)


def _bound_names(statements: tuple[n.Node, ...]) -> set[str]:
    """Every name the template binds anywhere: such a name hides the context variable of the same name."""
    out: set[str] = set()
    stack = list(statements)
    while stack:
        node = stack.pop()
        if isinstance(node, n.Set):
            out.add(node.name)
        elif isinstance(node, n.For):
            out.update((node.var, "loop"))
            stack += [*node.body, *node.otherwise]
        elif isinstance(node, n.If):
            for _, body in node.branches:
                stack += body
            stack += node.otherwise
        elif isinstance(node, n.Macro):
            out.update(name for name, _ in node.params)
            stack += node.body
    return out


class _Walker:
    def __init__(self) -> None:
        self.uses: list[Use] = []
        self.bound: set[str] = set()
        self.lenient = 0  # inside the left of `??`, `is defined`, `| default`: missing names are expected

    def statements(self, statements: tuple[n.Node, ...]) -> None:
        for node in statements:
            if isinstance(node, (n.Print, n.Set)):
                self.expr(node.expr)
            elif isinstance(node, n.If):
                for cond, body in node.branches:
                    self.expr(cond)
                    self.statements(body)
                self.statements(node.otherwise)
            elif isinstance(node, n.For):
                self.expr(node.iterable)
                self.statements(node.body)
                self.statements(node.otherwise)
            elif isinstance(node, n.Macro):
                self.uses.append(Use("macro", node.name, node.line, node.column))
                for _, default in node.params:
                    if default is not None:
                        self.expr(default)
                self.statements(node.body)

    def expr(self, node: n.Node) -> None:
        if _tolerates_missing(node):
            self.lenient += 1
            self.expr(node.left if isinstance(node, n.Binary) else node.target)  # type: ignore[attr-defined]
            self.lenient -= 1
            rest = [node.right] if isinstance(node, n.Binary) else _children(node)[1:]
            if isinstance(node, n.Filter):
                self.uses.append(Use("filter", node.name, node.line, node.column))
            elif isinstance(node, n.Test):
                self.uses.append(Use("test", node.name, node.line, node.column))
            for child in rest:
                self.expr(child)
            return
        if isinstance(node, (n.Attr, n.Item)):
            self._reference(node)
        if isinstance(node, n.Call):
            self.uses.append(Use("function", node.name, node.line, node.column))
        elif isinstance(node, n.Filter):
            self.uses.append(Use("filter", node.name, node.line, node.column))
        elif isinstance(node, n.Test):
            self.uses.append(Use("test", node.name, node.line, node.column))
        for child in _children(node):
            self.expr(child)

    def _reference(self, node: n.Attr | n.Item) -> None:
        """`outputs.<id>` / `inputs.<id>` with a static key, directly on the context variable."""
        target = node.target
        if not isinstance(target, n.Name) or target.name not in ("outputs", "inputs") or target.name in self.bound:
            return
        if isinstance(node, n.Attr):
            key: object = node.name
        elif isinstance(node.key, n.Literal):
            key = node.key.value
        else:
            return
        if isinstance(key, str):
            kind = target.name.rstrip("s")
            self.uses.append(Use(("guarded-" if self.lenient else "") + kind, key, target.line, target.column))


def _tolerates_missing(node: n.Node) -> bool:
    """The left of `??`/`???`, the subject of `is defined`/`is null` and of `| default` may be undefined."""
    if isinstance(node, n.Binary):
        return node.op in ("??", "???")
    if isinstance(node, n.Test):
        return node.name in ("defined", "null")
    return isinstance(node, n.Filter) and node.name == "default"


def _children(node: n.Node) -> list[n.Node]:
    if isinstance(node, n.ListLit):
        return list(node.items)
    if isinstance(node, n.MapLit):
        return [x for pair in node.pairs for x in pair]
    if isinstance(node, n.Attr):
        return [node.target]
    if isinstance(node, n.Item):
        return [node.target, node.key]
    if isinstance(node, n.Unary):
        return [node.operand]
    if isinstance(node, n.Binary):
        return [node.left, node.right]
    if isinstance(node, n.Ternary):
        return [x for x in (node.cond, node.then, node.other) if x is not None]
    if isinstance(node, (n.Filter, n.Test)):
        return [node.target, *node.args.positional, *(v for _, v in node.args.named)]
    if isinstance(node, n.Call):
        return [*node.args.positional, *(v for _, v in node.args.named)]
    return []
