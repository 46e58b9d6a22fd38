"""The syntax tree the parser produces and the compiler consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Node:
    line: int
    column: int


# --- expressions ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal(Node):
    value: Any


@dataclass(frozen=True, slots=True)
class ListLit(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class MapLit(Node):
    pairs: tuple[tuple[Node, Node], ...]


@dataclass(frozen=True, slots=True)
class Name(Node):
    name: str


@dataclass(frozen=True, slots=True)
class Attr(Node):
    target: Node
    name: str


@dataclass(frozen=True, slots=True)
class Item(Node):
    target: Node
    key: Node


@dataclass(frozen=True, slots=True)
class Unary(Node):
    op: str
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Ternary(Node):
    cond: Node
    then: Node | None  # None for the elvis form `a ?: b`
    other: Node


@dataclass(frozen=True, slots=True)
class Args:
    positional: tuple[Node, ...] = ()
    named: tuple[tuple[str, Node], ...] = ()


@dataclass(frozen=True, slots=True)
class Filter(Node):
    target: Node
    name: str
    args: Args


@dataclass(frozen=True, slots=True)
class Test(Node):
    target: Node
    name: str
    negated: bool
    args: Args


@dataclass(frozen=True, slots=True)
class Call(Node):
    name: str
    args: Args


# --- statements ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text(Node):
    text: str


@dataclass(frozen=True, slots=True)
class Print(Node):
    expr: Node


@dataclass(frozen=True, slots=True)
class If(Node):
    branches: tuple[tuple[Node, tuple[Node, ...]], ...]
    otherwise: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class For(Node):
    var: str
    iterable: Node
    body: tuple[Node, ...]
    otherwise: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Set(Node):
    name: str
    expr: Node


@dataclass(frozen=True, slots=True)
class Macro(Node):
    name: str
    params: tuple[tuple[str, Node | None], ...]
    body: tuple[Node, ...] = field(default=())
