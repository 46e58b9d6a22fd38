"""XML to and from Ion (io.kestra.plugin.serdes.xml): XmlToIon (formerly XmlReader), IonToXml (XmlWriter).

XML becomes data as Kestra's reader (org.json) makes it: attributes and child elements become fields, the
text of an element that also has fields becomes `content`, repeated elements become a list, and text that
reads as a boolean or a number becomes one. DTDs and external entities are never loaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, BinaryIO, ClassVar
from xml.parsers import expat
from xml.sax.saxutils import escape, quoteattr

from pydantic import Field

from legato.model.task import TASKS, Frozen
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.serdes import jsonish
from legato.plugins.serdes.base import Conversion, StrList, kestra_names, read_ion, write_ion, write_lines

_INT = re.compile(r"-?(0|[1-9]\d*)")
_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?")


def _scalar(text: str) -> Any:
    stripped = text.strip()
    if stripped in ("true", "false"):
        return stripped == "true"
    if _INT.fullmatch(stripped):
        return int(stripped)
    if _NUMBER.fullmatch(stripped):
        return Decimal(stripped)
    return stripped


def _refuse(*_: object) -> None:
    raise ValueError("XML entity declarations and external entities are not allowed")


def _refuse_external(*_: object) -> int:
    raise ValueError("XML external entities are not allowed")


@dataclass
class _Frame:
    fields: dict[str, Any]
    parts: list[str] = field(default_factory=list)
    children: int = 0
    lists: set[str] = field(default_factory=set)  # names repeated under this element: their value is a list


class _Builder:
    """Turns expat's events into data; with `wanted` (a path), only the matching elements, each emitted
    alone and then forgotten, so that memory holds one record."""

    def __init__(self, force_list: frozenset[str], wanted: list[str] | None) -> None:
        self.force_list, self.wanted = force_list, wanted
        self.stack: list[_Frame] = []
        self.path: list[str] = []
        self.done: list[Any] = []
        self.root: dict[str, Any] | None = None

    def start(self, name: str, attributes: dict[str, str]) -> None:
        self.path.append(name)
        self.stack.append(_Frame({k: _scalar(v) for k, v in attributes.items()}))

    def text(self, data: str) -> None:
        if self.stack:
            self.stack[-1].parts.append(data)

    def end(self, name: str) -> None:
        frame = self.stack.pop()
        text = "".join(frame.parts)
        value: Any
        if not frame.fields and not frame.children:
            value = _scalar(text) if text.strip() else ""
        else:
            if text.strip():
                frame.fields["content"] = _scalar(text)
            value = frame.fields
        matched = self.wanted is not None and self.path == self.wanted
        self.path.pop()
        if matched:
            self.done.extend(value if isinstance(value, list) else [value])
        elif not self.stack:
            self.root = {name: value}
        elif self.wanted is None or self.path[: len(self.wanted)] == self.wanted:  # inside a matched element
            self._attach(self.stack[-1], name, value)

    def _attach(self, parent: _Frame, name: str, value: Any) -> None:
        parent.children += 1
        if name in parent.lists:
            parent.fields[name].append(value)
        elif name in parent.fields:
            parent.fields[name] = [parent.fields[name], value]
            parent.lists.add(name)
        elif name in self.force_list:
            parent.fields[name] = [value]
            parent.lists.add(name)
        else:
            parent.fields[name] = value


def parse(source: BinaryIO, force_list: frozenset[str], wanted: list[str] | None) -> Iterator[Any]:
    """The records of an XML file: the elements at path `wanted`, or (None) the whole document's."""
    builder = _Builder(force_list, wanted)
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse_external
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.text
    parser.buffer_text = True
    try:
        while block := source.read(1 << 20):
            parser.Parse(block, False)
            yield from builder.done
            builder.done.clear()
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise ValueError(f"invalid XML: {exc}") from None
    yield from builder.done
    if wanted is None and builder.root is not None:
        yield from _unwrap(builder.root)


class ParserConfiguration(Frozen):
    forceList: StrList | None = Field(
        default=None, description="XML tags that must always be parsed as lists."
    )


@TASKS.register
class XmlToIon(Conversion):
    """Convert an XML file to the Amazon Ion format.

    Without `query` the whole document is read: a root holding a list of elements (`<items><item>...`) gives
    one record per element, anything else one record. With `query` (a path such as `/catalog/book`) the
    matching elements are streamed, one record each. Outputs `uri` and `size`.
    """

    TYPE: ClassVar[str] = "serdes.xml.XmlToIon"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("xml", "XmlToIon", "XmlReader")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: xml_to_ion
type: io.kestra.plugin.serdes.xml.XmlToIon
from: "{{ outputs.download.uri }}"
query: /catalog/book
""",
    )

    query: str | None = Field(
        default=None, description="Path selector to stream matching elements from the XML file."
    )
    parserConfiguration: ParserConfiguration | None = Field(
        default=None, description="XML parser configuration."
    )

    def convert(self, ctx: RunContext, source: BinaryIO, out: stream.Output) -> int:
        forced = self.parserConfiguration.forceList if self.parserConfiguration else None
        force_list = frozenset(self.prop_list(ctx, forced))
        query = ctx.render_string(self.query) if self.query else None
        wanted = [s for s in query.strip("/").split("/") if s] if query else None
        return write_ion(out, parse(source, force_list, wanted))

    def prop_list(self, ctx: RunContext, value: Any) -> list[str]:
        rendered = ctx.render(value) if isinstance(value, str) else value
        if isinstance(rendered, str):
            rendered = [rendered]
        return [str(v) for v in rendered or []]


def _unwrap(document: dict[str, Any]) -> list[Any]:
    """The records of a whole document: the list under its root (or under the root's only child), else it."""
    (root_value,) = document.values()
    if isinstance(root_value, list):
        return root_value
    if isinstance(root_value, dict) and len(root_value) == 1:
        (inner,) = root_value.values()
        if isinstance(inner, list):
            return inner
    return [document]


def _xml(name: str, value: Any, depth: int) -> str:
    pad = "  " * depth
    value = jsonish.plain(value)
    if isinstance(value, dict):
        inner = "".join(_xml(str(k), v, depth + 1) for k, v in value.items())
        return f"{pad}<{name}>\n{inner}{pad}</{name}>\n" if inner else f"{pad}<{name}/>\n"
    if isinstance(value, list):
        inner = "".join(_xml(name, v, depth + 1) for v in value)
        return f"{pad}<{name}>\n{inner}{pad}</{name}>\n" if inner else f"{pad}<{name}/>\n"
    if value is None:
        return f"{pad}<{name}/>\n"
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return f"{pad}<{name}>{escape(text)}</{name}>\n"


@TASKS.register
class IonToXml(Conversion):
    """Convert an Ion file to XML: the records become `<item>` elements of a `rootName` element (`items`).
    Outputs `uri` and `size`."""

    TYPE: ClassVar[str] = "serdes.xml.IonToXml"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("xml", "IonToXml", "XmlWriter")
    EXTENSION: ClassVar[str] = ".xml"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: to_xml
type: io.kestra.plugin.serdes.xml.IonToXml
from: "{{ outputs.to_ion.uri }}"
rootName: products
""",
    )

    rootName: str = Field(default="items", description="Root element name.")
    timeZoneId: str | None = Field(
        default=None, description="Timezone to use when no timezone can be parsed on the source."
    )

    def convert(self, ctx: RunContext, source: BinaryIO, out: stream.Output) -> int:
        encoding = self.encoding(ctx)
        root = ctx.render_string(self.rootName)
        if not re.fullmatch(r"[A-Za-z_][\w.-]*", root):
            raise TaskFailed(f"property 'rootName': {root!r} is not an XML element name")
        out.write(
            f"<?xml version='1.0' encoding={quoteattr(encoding.upper())}?>\n<{root}>\n".encode(encoding)
        )
        count = write_lines(out, (_xml("item", row, 1) for row in read_ion(source)), encoding)
        out.write(f"</{root}>\n".encode(encoding))
        return count
