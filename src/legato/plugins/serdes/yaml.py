"""YAML to and from Ion (io.kestra.plugin.serdes.yaml): YamlToIon, IonToYaml, JsonToYaml and YamlToJson."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any, BinaryIO, ClassVar

import yaml
from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext
from legato.plugins.core import storage_stream as stream
from legato.plugins.serdes import jsonish
from legato.plugins.serdes.base import BoolProp, Conversion, kestra_names, read_ion, write_ion, write_lines
from legato.plugins.serdes.json import json_values


def documents(ctx: RunContext, task: Conversion, source: BinaryIO) -> Iterator[Any]:
    """Each YAML document of the file (separated by ---), read one at a time."""
    text = io.TextIOWrapper(source, encoding=task.encoding(ctx))
    try:
        try:
            yield from yaml.safe_load_all(text)
        except yaml.YAMLError as exc:
            raise ValueError(f"invalid YAML: {exc}") from None
    finally:
        text.detach()


def _yaml(value: Any) -> str:
    return yaml.safe_dump(jsonish.plain(value), allow_unicode=True, sort_keys=False, default_flow_style=False)


def write_documents(out: stream.Output, values: Iterator[Any], encoding: str) -> int:
    """One value: its YAML; several: each after a `---` line (as Kestra's IonToYaml writes them)."""
    first = next(values, _NONE)
    if first is _NONE:
        return 0
    second = next(values, _NONE)
    if second is _NONE:
        out.write(_yaml(first).encode(encoding))
        return 1
    out.write(("---\n" + _yaml(first) + "---\n" + _yaml(second)).encode(encoding))
    return 2 + write_lines(out, ("---\n" + _yaml(v) for v in values), encoding)


_NONE = object()


@TASKS.register
class YamlToIon(Conversion):
    """Convert a YAML file into Ion: one record per YAML document. Outputs `uri` and `size`."""

    TYPE: ClassVar[str] = "serdes.yaml.YamlToIon"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("yaml", "YamlToIon")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: yaml_to_ion
type: io.kestra.plugin.serdes.yaml.YamlToIon
from: "{{ outputs.download.uri }}"
""",
    )

    def convert(self, ctx: RunContext, source: BinaryIO, out: stream.Output) -> int:
        return write_ion(out, documents(ctx, self, source))


@TASKS.register
class IonToYaml(Conversion):
    """Convert an Ion file to YAML: one record as one document, several as documents separated by `---`.
    Outputs `uri` and `size`."""

    TYPE: ClassVar[str] = "serdes.yaml.IonToYaml"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("yaml", "IonToYaml")
    EXTENSION: ClassVar[str] = ".yaml"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: to_yaml
type: io.kestra.plugin.serdes.yaml.IonToYaml
from: "{{ outputs.to_ion.uri }}"
""",
    )

    def convert(self, ctx: RunContext, source: BinaryIO, out: stream.Output) -> int:
        return write_documents(out, read_ion(source), self.encoding(ctx))


@TASKS.register
class JsonToYaml(Conversion):
    """Convert a JSON (or, with `jsonl`, JSONL) file to YAML. Outputs `uri` and `size`."""

    TYPE: ClassVar[str] = "serdes.yaml.JsonToYaml"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("yaml", "JsonToYaml")
    EXTENSION: ClassVar[str] = ".yaml"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: to_yaml
type: io.kestra.plugin.serdes.yaml.JsonToYaml
from: "{{ outputs.download.uri }}"
jsonl: true
""",
    )

    jsonl: BoolProp = Field(default=False, description="Input is JSONL (newline-delimited JSON).")

    def convert(self, ctx: RunContext, source: BinaryIO, out: stream.Output) -> int:
        jsonl = self.prop(ctx, "jsonl", bool)
        if not jsonl:
            text = io.TextIOWrapper(source, encoding=self.encoding(ctx))
            try:
                out.write(_yaml(json.load(text)).encode(self.encoding(ctx)))
            finally:
                text.detach()
            return 1
        return write_documents(out, json_values(ctx, self, source, True), self.encoding(ctx))


@TASKS.register
class YamlToJson(Conversion):
    """Convert a YAML file into JSON (one document, or an array of the documents), or JSONL with `jsonl`.
    Outputs `uri` and `size`."""

    TYPE: ClassVar[str] = "serdes.yaml.YamlToJson"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("yaml", "YamlToJson")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: to_json
type: io.kestra.plugin.serdes.yaml.YamlToJson
from: "{{ outputs.download.uri }}"
""",
    )

    jsonl: BoolProp = Field(default=False, description="Produce JSONL.")

    def extension(self, ctx: RunContext) -> str:
        return ".jsonl" if self.prop(ctx, "jsonl", bool) else ".json"

    def convert(self, ctx: RunContext, source: BinaryIO, out: stream.Output) -> int:
        encoding = self.encoding(ctx)
        docs = documents(ctx, self, source)
        if self.prop(ctx, "jsonl", bool):
            return write_lines(out, (jsonish.dumps(d) + "\n" for d in docs), encoding)
        every = list(docs)
        out.write(jsonish.dumps(every[0] if len(every) == 1 else every).encode(encoding))
        return len(every)
