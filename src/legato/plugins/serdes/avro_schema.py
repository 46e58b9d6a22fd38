"""Avro schemas for IonToAvro and IonToParquet: inferred from the first records as Kestra infers them (every
field nullable; maps as records, lists as arrays, datetimes as local-timestamp-millis, dates as date, decimals
as strings), and records converted to a schema with Kestra's rules for text (true/false/null values, decimal
separator, ISO dates)."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

Schema = Any  # an Avro schema as JSON data: a type name, a list (union) or a map

INT32 = 2**31


def _primitive(value: Any) -> Schema:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "int" if -INT32 <= value < INT32 else "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, datetime):
        return {"type": "long", "logicalType": "local-timestamp-millis"}
    if isinstance(value, date):
        return {"type": "int", "logicalType": "date"}
    if isinstance(value, time):
        return {"type": "int", "logicalType": "time-millis"}
    if isinstance(value, bytes):
        return "bytes"
    return "string"  # str, Decimal and anything else


def infer(value: Any, name: str = "root") -> Schema:
    """The schema of one value (a record at the top level, every nested type nullable)."""
    if isinstance(value, dict):
        fields = [{"name": str(k), "type": _nullable(infer(v, f"{name}_{k}"))} for k, v in value.items()]
        return {
            "type": "record",
            "name": _avro_name(name),
            "namespace": "io.kestra.plugin.serdes.avro",
            "fields": fields,
        }
    if isinstance(value, list):
        items: Schema = "string"
        for item in value:
            items = merge(items, infer(item, f"{name}_items")) if item is not None else items
        array = {"type": "array", "items": items}
        if name == "root":
            return {
                "type": "record",
                "name": "root",
                "namespace": "io.kestra.plugin.serdes.avro",
                "fields": [{"name": "value", "type": array}],
            }
        return array
    return _primitive(value)


def infer_all(values: Iterable[Any]) -> Schema:
    """The schema that fits every value (records merged field by field)."""
    schema: Schema = None
    for value in values:
        found = infer(value)
        schema = found if schema is None else merge(schema, found)
    if schema is None:
        raise ValueError(
            "Cannot infer Avro schema from ION input: the file appears to be empty or contains no valid records."
        )
    return schema


def _nullable(schema: Schema) -> Schema:
    if schema == "null":
        return "null"
    if isinstance(schema, list):
        return schema if "null" in schema else ["null", *schema]
    return ["null", schema]


def _base(schema: Schema) -> Schema:
    if isinstance(schema, list):
        rest = [s for s in schema if s != "null"]
        return rest[0] if len(rest) == 1 else rest or "null"
    return schema


def merge(a: Schema, b: Schema) -> Schema:
    """One schema for values of schema `a` or `b`."""
    nullable = isinstance(a, list) or isinstance(b, list) or "null" in (a, b)
    x, y = _base(a), _base(b)
    if x == "null":
        merged = y
    elif y == "null" or x == y:
        merged = x
    elif isinstance(x, dict) and isinstance(y, dict) and x.get("type") == y.get("type") == "record":
        known = {f["name"]: f for f in x["fields"]}
        for f in y["fields"]:
            known[f["name"]] = {
                "name": f["name"],
                "type": _nullable(
                    merge(known[f["name"]]["type"], f["type"]) if f["name"] in known else f["type"]
                ),
            }
        merged = {**x, "fields": list(known.values())}
    elif isinstance(x, dict) and isinstance(y, dict) and x.get("type") == y.get("type") == "array":
        merged = {"type": "array", "items": merge(x["items"], y["items"])}
    elif {x, y} <= {"int", "long"} if isinstance(x, str) and isinstance(y, str) else False:
        merged = "long"
    elif {x, y} <= {"int", "long", "double"} if isinstance(x, str) and isinstance(y, str) else False:
        merged = "double"
    else:
        merged = "string"
    return _nullable(merged) if nullable else merged


def _avro_name(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return cleaned if cleaned and not cleaned[0].isdigit() else f"_{cleaned}"


@dataclass(frozen=True)
class TextRules:
    """How text becomes typed values (Kestra's trueValues, falseValues, nullValues, decimalSeparator)."""

    true_values: frozenset[str]
    false_values: frozenset[str]
    null_values: frozenset[str]
    decimal_separator: str
    strict: bool


class BadRecord(ValueError):
    """A record that does not fit the schema."""


class Converter:
    """Records to the shapes fastavro and pyarrow take for a schema."""

    def __init__(self, schema: Schema, rules: TextRules) -> None:
        self.schema, self.rules = schema, rules
        self._named: dict[str, Schema] = {}
        self._collect(schema)

    def _collect(self, schema: Schema) -> None:
        if isinstance(schema, list):
            for s in schema:
                self._collect(s)
        elif isinstance(schema, dict):
            if schema.get("name") and schema.get("type") in ("record", "enum", "fixed"):
                self._named[schema["name"]] = schema
                if schema.get("namespace"):
                    self._named[f"{schema['namespace']}.{schema['name']}"] = schema
            for f in schema.get("fields", []):
                self._collect(f["type"])
            for key in ("items", "values"):
                if key in schema:
                    self._collect(schema[key])

    def record(self, value: Any) -> Any:
        if (
            isinstance(value, list)
            and isinstance(self.schema, dict)
            and [f["name"] for f in self.schema.get("fields", [])] == ["value"]
        ):
            value = {"value": value}
        return self.convert(value, self.schema, "")

    def convert(self, value: Any, schema: Schema, path: str) -> Any:
        if isinstance(schema, str) and schema in self._named:
            schema = self._named[schema]
        if isinstance(schema, list):
            return self._union(value, schema, path)
        kind = schema["type"] if isinstance(schema, dict) else schema
        logical = schema.get("logicalType") if isinstance(schema, dict) else None
        if isinstance(kind, dict | list):
            return self.convert(value, kind, path)
        if isinstance(value, str) and value.strip() in self.rules.null_values and kind != "string":
            value = None
        if value is None:
            if kind == "null":
                return None
            raise BadRecord(f"field '{path or 'root'}': null value for a non-nullable {kind}")
        if logical is not None:
            return self._logical(value, logical, schema, path)
        if kind == "record":
            return self._record(value, schema, path)
        if kind == "array":
            if not isinstance(value, list):
                raise BadRecord(f"field '{path}': expected a list, got {type(value).__name__}")
            return [self.convert(v, schema["items"], f"{path}[]") for v in value]
        if kind == "map":
            if not isinstance(value, dict):
                raise BadRecord(f"field '{path}': expected a map, got {type(value).__name__}")
            return {str(k): self.convert(v, schema["values"], f"{path}.{k}") for k, v in value.items()}
        return self._primitive(value, kind, schema, path)

    def _union(self, value: Any, schema: list[Schema], path: str) -> Any:
        if "null" in schema and (
            value is None or (isinstance(value, str) and value.strip() in self.rules.null_values)
        ):
            return None
        errors = []
        for branch in (s for s in schema if s != "null"):
            try:
                return self.convert(value, branch, path)
            except BadRecord as exc:
                errors.append(str(exc))
        if value is None:
            raise BadRecord(f"field '{path}': null value for a non-nullable field")
        raise BadRecord(errors[0] if errors else f"field '{path}': no type of the union fits {value!r}")

    def _record(self, value: Any, schema: Schema, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise BadRecord(f"field '{path or 'root'}': expected a record, got {type(value).__name__}")
        names = {f["name"] for f in schema["fields"]}
        if self.rules.strict:
            extra = [k for k in value if k not in names]
            if extra:
                raise BadRecord(
                    f"field '{path or 'root'}': {', '.join(map(str, extra))} not declared in the schema (strictSchema)"
                )
        out = {}
        for f in schema["fields"]:
            sub = f"{path}.{f['name']}" if path else f["name"]
            raw = value.get(f["name"], f.get("default"))
            out[f["name"]] = self.convert(raw, f["type"], sub)
        return out

    def _primitive(self, value: Any, kind: str, schema: Schema, path: str) -> Any:
        try:
            if kind == "string":
                return (
                    ("true" if value else "false")
                    if isinstance(value, bool)
                    else value
                    if isinstance(value, str)
                    else str(value)
                )
            if kind == "boolean":
                return self._boolean(value)
            if kind in ("int", "long"):
                number = (
                    int(value)
                    if isinstance(value, int | float | Decimal) and not isinstance(value, bool)
                    else int(str(value).strip())
                )
                if kind == "int" and not -INT32 <= number < INT32:
                    raise ValueError("out of the int range")
                return number
            if kind in ("float", "double"):
                if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                    return float(value)
                return float(str(value).strip().replace(self.rules.decimal_separator, "."))
            if kind in ("bytes", "fixed"):
                return value if isinstance(value, bytes) else str(value).encode()
            if kind == "enum":
                if str(value) not in schema["symbols"]:
                    raise ValueError(f"not one of {schema['symbols']}")
                return str(value)
        except (ValueError, InvalidOperation) as exc:
            raise BadRecord(f"field '{path}': {value!r} is not a valid {kind} ({exc})") from None
        raise BadRecord(f"field '{path}': unsupported Avro type {kind}")

    def _boolean(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in self.rules.true_values:
            return True
        if text in self.rules.false_values:
            return False
        raise ValueError("not one of trueValues or falseValues")

    def _logical(self, value: Any, logical: str, schema: Schema, path: str) -> Any:
        try:
            if logical == "date":
                if isinstance(value, datetime):
                    return value.date()
                return value if isinstance(value, date) else date.fromisoformat(str(value).strip()[:10])
            if logical in (
                "timestamp-millis",
                "timestamp-micros",
                "local-timestamp-millis",
                "local-timestamp-micros",
            ):
                stamp = value if isinstance(value, datetime) else _datetime(value)
                if logical.startswith("local-") and stamp.tzinfo is not None:
                    stamp = stamp.replace(tzinfo=None)
                return stamp
            if logical in ("time-millis", "time-micros"):
                return value if isinstance(value, time) else time.fromisoformat(str(value).strip())
            if logical == "decimal":
                number = (
                    value
                    if isinstance(value, Decimal)
                    else Decimal(str(value).strip().replace(self.rules.decimal_separator, "."))
                )
                return number.quantize(Decimal(1).scaleb(-int(schema.get("scale", 0))))
            if logical == "uuid":
                return str(value)
        except (ValueError, InvalidOperation) as exc:
            raise BadRecord(f"field '{path}': {value!r} is not a valid {logical} ({exc})") from None
        return self.convert(value, schema["type"], path)


def _datetime(value: Any) -> datetime:
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    text = str(value).strip().replace("Z", "+00:00").replace(" ", "T", 1)
    return datetime.fromisoformat(text)


def blob_text(value: bytes) -> str:
    return base64.b64encode(value).decode()
