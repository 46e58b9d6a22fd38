"""YAML text -> Flow models, with every problem located at its line, column and JSON path.

YAML is composed with PyYAML's safe loader and turned into values here, so that: duplicate keys are errors,
each node's position is kept, alias expansion is bounded (no billion laughs), and plain scalars follow the
YAML 1.2 core schema as Kestra's parser does (`yes`, `no`, `on`, dates stay text).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError

from legato.model import yaml_errors
from legato.model.errors import KEY, FlowValidationError, Problem, format_path, problems_from
from legato.model.flow import Flow
from legato.model.task import TASKS, TRIGGERS, TaskRegistry
from legato.model.taskfield import CTX_DEFAULTS, CTX_TASKS, CTX_TRIGGERS, PluginDefault

MAX_NODES = 200_000  # values built after alias expansion, per document
MAX_DEPTH = 200  # nesting of maps and lists

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_INT_OCT = re.compile(r"^0o[0-7]+$")
_INT_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT = {".inf": float("inf"), "+.inf": float("inf"), "-.inf": float("-inf"), ".nan": float("nan")}
_TAG = "tag:yaml.org,2002:"


_PLAIN = "tag:legato,2025:plain"
_COLLECTION_TAGS = frozenset({_TAG + "seq", _TAG + "map"})


class _Composer(yaml.SafeLoader):
    """PyYAML's safe composer, tagging untagged plain scalars for our own (YAML 1.2 core) resolution."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            return _PLAIN
        return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]


class _Abort(Exception):
    """Stops building a document that cannot be turned into values at all."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


@dataclass
class Document:
    """One YAML document as plain values, with where each node starts (1-based line and column)."""

    value: Any
    positions: dict[tuple[Any, ...], tuple[int, int]] = field(default_factory=dict)
    line: int = 1
    problems: list[Problem] = field(default_factory=list)


def _pos(mark: Any) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


class _Builder:
    def __init__(self, source: str) -> None:
        self.source = source
        self.nodes = 0
        self.doc = Document(value=None)

    def problem(self, node: yaml.Node, path: tuple[Any, ...], message: str) -> Problem:
        line, column = _pos(node.start_mark)
        return Problem(path=format_path(path), message=message, line=line, column=column, source=self.source)

    def build(self, node: yaml.Node, path: tuple[Any, ...], depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _Abort(
                self.problem(
                    node, path, f"document too large: more than {MAX_NODES} values once aliases are expanded"
                )
            )
        if depth > MAX_DEPTH:
            raise _Abort(self.problem(node, path, f"document nested deeper than {MAX_DEPTH} levels"))
        self.doc.positions.setdefault(path, _pos(node.start_mark))
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        if isinstance(node, yaml.SequenceNode | yaml.MappingNode) and node.tag not in _COLLECTION_TAGS:
            # `!!python/object/apply:...` and other language tags on a map or list: refused as on a scalar
            raise _Abort(self.problem(node, path, f"unsupported YAML tag '{_tag_name(node.tag)}'"))
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*path, i), depth + 1) for i, child in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path, depth)
        raise _Abort(self.problem(node, path, f"unsupported YAML node {type(node).__name__}"))

    def scalar(self, node: yaml.ScalarNode, path: tuple[Any, ...]) -> Any:
        text = node.value
        if node.tag == _TAG + "str":
            return text
        if node.tag == _PLAIN or node.tag in (_TAG + "null", _TAG + "bool", _TAG + "int", _TAG + "float"):
            return _resolve(text)
        raise _Abort(self.problem(node, path, f"unsupported YAML tag '{_tag_name(node.tag)}'"))

    def key(self, node: yaml.Node, path: tuple[Any, ...]) -> str:
        if not isinstance(node, yaml.ScalarNode):
            hint = yaml_errors.builder_hint(node)
            raise _Abort(
                self.problem(node, path, hint or "a map key must be a plain value, not a map or a list")
            )
        return str(node.value)

    def mapping(self, node: yaml.MappingNode, path: tuple[Any, ...], depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        first: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge" or (key_node.tag == _PLAIN and key_node.value == "<<"):
                merged.update(self.merge(value_node, path, depth))
                continue
            key = self.key(key_node, path)
            if key in first:
                line = first[key].start_mark.line + 1
                self.doc.problems.append(
                    self.problem(
                        key_node, (*path, key), f"duplicate key '{key}' (first defined at line {line})"
                    )
                )
                continue
            first[key] = key_node
            self.doc.positions[(KEY, *path, key)] = _pos(key_node.start_mark)
            out[key] = self.build(value_node, (*path, key), depth + 1)
        return {**{k: v for k, v in merged.items() if k not in out}, **out}

    def merge(self, node: yaml.Node, path: tuple[Any, ...], depth: int) -> dict[str, Any]:
        """The maps a `<<:` key merges in; earlier ones win, as YAML specifies."""
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        out: dict[str, Any] = {}
        for source in reversed(sources):
            if not isinstance(source, yaml.MappingNode):
                raise _Abort(self.problem(source, path, "'<<' must merge a map or a list of maps"))
            out.update(self.mapping(source, path, depth + 1))
        return out


def _tag_name(tag: str) -> str:
    """A tag as written in YAML (`!!python/name:os.system`, `!custom`)."""
    return "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag


def _resolve(text: str) -> Any:
    """A plain scalar by the YAML 1.2 core schema (null, true/false, ints, floats; anything else is text)."""
    if _NULL.match(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.match(text):
        return int(text)
    if _INT_OCT.match(text):
        return int(text[2:], 8)
    if _INT_HEX.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    return _SPECIAL_FLOAT.get(text.lower(), text)


def _syntax_problem(exc: yaml.YAMLError, text: str, source: str) -> Problem:
    said = yaml_errors.explain(exc, text)
    return Problem(path="", message=said.message, line=said.line, column=said.column, source=source)


def _reader_problem(exc: yaml.reader.ReaderError, text: str, source: str) -> Problem:
    before = text[: exc.position]
    line, column = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
    message = f"invalid YAML: character {exc.character:#06x} is not allowed in YAML text"
    return Problem(path="", message=message, line=line, column=column, source=source)


def parse_documents(text: str, *, source: str = "<string>") -> list[Document]:
    """Every YAML document of `text` as values with positions. A syntax error ends the list with a document
    holding only that problem (documents before it are kept)."""
    docs: list[Document] = []
    try:
        loader = _Composer(text)
    except yaml.reader.ReaderError as exc:  # a character YAML forbids anywhere (NUL, other control characters)
        return [Document(value=None, problems=[_reader_problem(exc, text, source)])]
    try:
        while True:
            try:
                if not loader.check_node():
                    break
                node = loader.get_node()
            except yaml.YAMLError as exc:
                docs.append(Document(value=None, problems=[_syntax_problem(exc, text, source)]))
                break
            except RecursionError:  # PyYAML composes nested nodes recursively
                message = f"document nested deeper than {MAX_DEPTH} levels"
                docs.append(Document(value=None, problems=[Problem("", message, None, None, source)]))
                break
            builder = _Builder(source)
            builder.doc.line = node.start_mark.line + 1 if node is not None else 1
            if node is not None:
                try:
                    builder.doc.value = builder.build(node, ())
                except _Abort as abort:
                    builder.doc.problems.append(abort.problem)
            docs.append(builder.doc)
    finally:
        loader.dispose()
    return docs


def load_yaml_value(text: str, *, source: str = "<string>") -> Any:
    """One YAML document as plain values (same rules and limits as flows); FlowValidationError if invalid."""
    docs = parse_documents(text, source=source)
    problems = [p for d in docs for p in d.problems]
    if problems:
        raise FlowValidationError(problems)
    if len(docs) > 1:
        raise FlowValidationError(
            [Problem("", f"expected one YAML document, found {len(docs)}", None, None, source)]
        )
    return docs[0].value if docs else None


def _flow(doc: Document, source: str, registry: TaskRegistry, triggers: TaskRegistry,
          defaults: Sequence[PluginDefault] = ()) -> Flow | list[Problem]:
    if doc.problems:
        return doc.problems
    if not isinstance(doc.value, dict):
        got = (
            "an empty document"
            if doc.value is None
            else f"a {'list' if isinstance(doc.value, list) else 'single value'}"
        )
        return [
            Problem(
                "", f"a flow must be a YAML map with id, namespace and tasks; got {got}", doc.line, 1, source
            )
        ]
    try:
        context: dict[str, Any] = {CTX_TASKS: registry, CTX_TRIGGERS: triggers}
        if defaults:
            context[CTX_DEFAULTS] = tuple(defaults)
        return Flow.model_validate(doc.value, context=context)
    except ValidationError as exc:
        return problems_from(exc, doc.value, doc.positions, source)


def load_flow(
    text: str, *, source: str = "<string>", registry: TaskRegistry = TASKS, triggers: TaskRegistry = TRIGGERS,
    defaults: Sequence[PluginDefault] = (),
) -> Flow:
    """The flow in `text` (one YAML document). Raises FlowValidationError listing every problem found.
    `defaults`: plugin defaults from outside the flow (its namespace's), below the flow's own."""
    docs = [d for d in parse_documents(text, source=source) if d.value is not None or d.problems] or [
        Document(value=None)
    ]
    if len(docs) > 1:
        message = f"expected one flow, found {len(docs)} YAML documents"
        raise FlowValidationError([Problem("", message, docs[1].line, 1, source)])
    result = _flow(docs[0], source, registry, triggers, defaults)
    if isinstance(result, list):
        raise FlowValidationError(result)
    return result


def load_flows(
    text: str, *, source: str = "<string>", registry: TaskRegistry = TASKS, triggers: TaskRegistry = TRIGGERS
) -> list[Flow]:
    """Every flow of a multi-document YAML text (empty documents skipped). Raises FlowValidationError with the
    problems of every invalid document (their lines tell them apart)."""
    flows: list[Flow] = []
    problems: list[Problem] = []
    for doc in parse_documents(text, source=source):
        if doc.value is None and not doc.problems:
            continue
        result = _flow(doc, source, registry, triggers)
        if isinstance(result, list):
            problems.extend(result)
        else:
            flows.append(result)
    if problems:
        raise FlowValidationError(problems)
    return flows
