"""Input declarations and validate_inputs: typed values, defaults, nesting, dependsOn, every error at once."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from legato import sealing
from legato.model.errors import FlowValidationError, InputsError
from legato.model.inputs import Input, InputField, IntInput, MultiselectInput, StringInput
from legato.model.inputs_values import validate_inputs

from .conftest import load

_ADAPTER: TypeAdapter[list[Input]] = TypeAdapter(list[InputField])


def declare(*items: dict[str, Any]) -> list[Input]:
    return _ADAPTER.validate_python(list(items))


def fake_render(template: str, inputs: dict[str, Any]) -> Any:
    """A stand-in for the expression engine (a higher layer): knows three templates; gets the inputs so far."""
    if template == "{{ inputs.first ~ '-x' }}":
        return f"{inputs['first']}-x"
    if template == "{{ inputs.kind == 'db' }}":
        return inputs.get("kind") == "db"
    if template == "{{ ['a', 'b'] }}":
        return ["a", "b"]
    raise ValueError(f"unknown template {template}")


def test_every_type_converts_text_from_the_cli() -> None:
    declared = declare(
        {"id": "s", "type": "STRING"}, {"id": "i", "type": "INT"}, {"id": "f", "type": "FLOAT"},
        {"id": "b", "type": "BOOLEAN"}, {"id": "b2", "type": "BOOL"}, {"id": "dt", "type": "DATETIME"},
        {"id": "d", "type": "DATE"}, {"id": "t", "type": "TIME"}, {"id": "du", "type": "DURATION"},
        {"id": "j", "type": "JSON"}, {"id": "y", "type": "YAML"}, {"id": "u", "type": "URI"},
        {"id": "e", "type": "EMAIL"}, {"id": "sec", "type": "SECRET"}, {"id": "en", "type": "ENUM", "values": ["x", "y"]},
        {"id": "se", "type": "SELECT", "values": ["x", "y"]}, {"id": "ms", "type": "MULTISELECT", "values": ["x", "y"]},
        {"id": "ar", "type": "ARRAY", "itemType": "INT"}, {"id": "fi", "type": "FILE"},
    )
    raw = {
        "s": "text", "i": "42", "f": "1.5", "b": "true", "b2": "FALSE", "dt": "2024-01-31T10:00:00+02:00",
        "d": "2024-01-31", "t": "10:30", "du": "PT5M", "j": '{"a": [1]}', "y": "a: yes\nb: 1\n", "u": "https://x.io/a",
        "e": "ann@example.com", "sec": "hunter2", "en": "x", "se": "y", "ms": '["x", "y"]', "ar": "[1, 2]",
        "fi": "kestra:///company/team/file.csv",
    }
    values = validate_inputs(declared, raw)
    assert sealing.unseal(values.pop("sec")) == "hunter2"  # a SECRET value is kept encrypted
    assert values == {
        "s": "text", "i": 42, "f": 1.5, "b": True, "b2": False,
        "dt": datetime(2024, 1, 31, 10, 0, tzinfo=timezone(timedelta(hours=2))), "d": date(2024, 1, 31),
        "t": time(10, 30), "du": timedelta(minutes=5), "j": {"a": [1]}, "y": {"a": "yes", "b": 1}, "u": "https://x.io/a",
        "e": "ann@example.com", "en": "x", "se": "y", "ms": ["x", "y"], "ar": [1, 2],
        "fi": "kestra:///company/team/file.csv",
    }


def test_typed_values_from_yaml_or_json_are_accepted() -> None:
    declared = declare({"id": "i", "type": "INT"}, {"id": "b", "type": "BOOL"}, {"id": "j", "type": "JSON"}, {"id": "m", "type": "MULTISELECT", "values": ["a", "b"]})
    assert validate_inputs(declared, {"i": 7, "b": False, "j": [1, 2], "m": ["a"]}) == {"i": 7, "b": False, "j": [1, 2], "m": ["a"]}


def test_naive_datetime_is_utc() -> None:
    [declared] = declare({"id": "when", "type": "DATETIME"})
    assert validate_inputs([declared], {"when": "2024-01-01T00:00:00"})["when"] == datetime(2024, 1, 1, tzinfo=UTC)


def test_every_bad_input_is_named_at_once() -> None:
    declared = declare(
        {"id": "age", "type": "INT", "min": 0, "max": 120},
        {"id": "name", "type": "STRING", "validator": "^[A-Z][a-z]+$"},
        {"id": "color", "type": "SELECT", "values": ["red", "blue"]},
        {"id": "needed", "type": "STRING"},
        {"id": "when", "type": "DATE", "after": "2024-01-01"},
        {"id": "mail", "type": "EMAIL"},
        {"id": "ok", "type": "INT"},
    )
    with pytest.raises(InputsError) as info:
        validate_inputs(declared, {"age": "150", "name": "bob", "color": "green", "when": "2023-05-01", "mail": "nope", "ok": "1"})
    assert str(info.value).splitlines() == [
        "input 'age': 150 is greater than the maximum 120",
        "input 'name': 'bob' does not match the pattern '^[A-Z][a-z]+$'",
        "input 'color': 'green' is not one of ['red', 'blue']",
        "input 'needed': a value is required and none was given (and there is no default)",
        "input 'when': '2023-05-01' is not after 2024-01-01",
        "input 'mail': 'nope' is not an email address",
    ]


@pytest.mark.parametrize(
    ("spec", "raw", "message"),
    [
        ({"type": "INT"}, "abc", "'abc' is not an integer"),
        ({"type": "INT"}, True, "true is not an integer"),
        ({"type": "FLOAT", "min": 1.5}, "1", "1.0 is less than the minimum 1.5"),
        ({"type": "BOOL"}, "yes", "'yes' is not a boolean (true or false)"),
        ({"type": "DURATION", "max": "PT1H"}, "PT2H", "is longer than the maximum"),
        ({"type": "JSON"}, "{bad", "invalid JSON"),
        ({"type": "URI"}, "not a uri", "is not a URI"),
        ({"type": "STRING", "maxLength": 3}, "abcd", "'abcd' is longer than 3 characters"),
        ({"type": "ARRAY", "itemType": "INT", "maxItems": 1}, [1, 2], "has 2 items, more than the maximum 1"),
        ({"type": "ARRAY", "itemType": "INT"}, ["1", "x"], "item 1: 'x' is not an integer"),
        ({"type": "MULTISELECT", "values": ["a"]}, ["a", "z"], "'z' is not one of ['a']"),
        ({"type": "FILE", "allowedFileExtensions": [".csv"]}, "kestra:///a/b.txt", "does not have one of the extensions"),
        ({"type": "TIME", "before": "12:00:00"}, "13:00", "'13:00:00' is not before 12:00:00"),
    ],
)
def test_bad_values(spec: dict[str, Any], raw: Any, message: str) -> None:
    declared = declare({"id": "x", **spec})
    with pytest.raises(InputsError) as info:
        validate_inputs(declared, {"x": raw})
    assert info.value.problems[0].path == "x"
    assert message in info.value.problems[0].message


def test_defaults_optional_inputs_and_expression_defaults() -> None:
    declared = declare(
        {"id": "first", "type": "STRING", "defaults": "ann"},
        {"id": "second", "type": "STRING", "defaults": "{{ inputs.first ~ '-x' }}"},
        {"id": "count", "type": "INT", "defaults": 3},
        {"id": "maybe", "type": "INT", "required": False},
        {"id": "blank", "type": "INT", "required": False},
    )
    values = validate_inputs(declared, {"blank": ""}, render=fake_render)
    assert values == {"first": "ann", "second": "ann-x", "count": 3, "maybe": None, "blank": None}


def test_expression_default_without_a_renderer_is_a_problem() -> None:
    declared = declare({"id": "a", "type": "STRING", "defaults": "{{ now() }}"})
    with pytest.raises(InputsError, match="is an expression and no renderer was given"):
        validate_inputs(declared, {})


def test_nested_ids_make_nested_maps_and_read_nested_raw_values() -> None:
    declared = declare({"id": "db.host", "type": "STRING"}, {"id": "db.port", "type": "INT"}, {"id": "name", "name": "x", "type": "STRING"})
    values = validate_inputs(declared, {"db.host": "h", "db": {"port": "5432"}, "name": "n"})
    assert values == {"db": {"host": "h", "port": 5432}, "name": "n"}


def test_old_name_property_gives_the_id() -> None:
    [declared] = declare({"name": "legacy", "type": "STRING"})
    assert declared.id == "legacy"
    assert validate_inputs([declared], {"legacy": "v"}) == {"legacy": "v"}


def test_unknown_raw_keys_are_ignored() -> None:
    declared = declare({"id": "a", "type": "STRING"})
    assert validate_inputs(declared, {"a": "x", "undeclared": 1}) == {"a": "x"}


def test_depends_on_condition_skips_the_input_and_orders_resolution() -> None:
    declared = declare(
        {"id": "dbname", "type": "STRING", "dependsOn": {"inputs": ["kind"], "condition": "{{ inputs.kind == 'db' }}"}},
        {"id": "kind", "type": "SELECT", "values": ["db", "api"]},
    )
    assert validate_inputs(declared, {"kind": "api"}, render=fake_render) == {"kind": "api"}
    assert validate_inputs(declared, {"kind": "db", "dbname": "main"}, render=fake_render) == {"dbname": "main", "kind": "db"}


def test_select_expression_values_are_rendered_and_enforced() -> None:
    declared = declare({"id": "s", "type": "SELECT", "expression": "{{ ['a', 'b'] }}"})
    assert validate_inputs(declared, {"s": "a"}, render=fake_render) == {"s": "a"}
    with pytest.raises(InputsError, match="'c' is not one of"):
        validate_inputs(declared, {"s": "c"}, render=fake_render)


def test_custom_values_allowed_when_declared() -> None:
    declared = declare({"id": "s", "type": "SELECT", "values": ["a"], "allowCustomValue": True}, {"id": "m", "type": "MULTISELECT", "options": ["a"], "allowInput": True})
    assert validate_inputs(declared, {"s": "zzz", "m": ["q"]}) == {"s": "zzz", "m": ["q"]}
    assert isinstance(declared[1], MultiselectInput) and declared[1].values == ["a"]


def test_files_mapping_gives_the_stored_uri() -> None:
    declared = declare({"id": "data", "type": "FILE"})
    assert validate_inputs(declared, {"data": "local.csv"}, files={"data": "kestra:///ns/f/data.csv"}) == {"data": "kestra:///ns/f/data.csv"}


def test_declaration_checks() -> None:
    with pytest.raises(ValidationError) as info:
        declare({"id": "a", "type": "INT", "defaults": "many"})
    assert info.value.errors()[0]["loc"] == (0, "defaults")
    assert info.value.errors()[0]["msg"] == "'many' is not an integer"
    with pytest.raises(ValidationError, match="unknown input type 'STRNG' \\(did you mean 'STRING'\\?\\)"):
        declare({"id": "a", "type": "STRNG"})
    with pytest.raises(ValidationError, match="needs 'values' or 'expression'"):
        declare({"id": "a", "type": "SELECT"})
    with pytest.raises(ValidationError, match="not a valid regular expression"):
        declare({"id": "a", "type": "STRING", "validator": "("})
    assert isinstance(declare({"id": "a", "type": "STRING"})[0], StringInput)
    assert isinstance(declare({"id": "n", "type": "INT", "defaults": "5"})[0], IntInput)


def test_flow_input_problems_are_located() -> None:
    text = (
        "id: f\nnamespace: n\ninputs:\n  - id: age\n    type: INT\n    max: 10\n    defaults: 11\n"
        "  - id: b\n    type: STRING\n    dependsOn:\n      inputs: [missing]\n"
        "tasks:\n  - id: t\n    type: test.Echo\n    message: m\n"
    )
    with pytest.raises(FlowValidationError) as info:
        load(text)
    assert [str(p) for p in info.value.problems] == ["flow.yaml:7:15: inputs[0].defaults: 11 is greater than the maximum 10"]
    with pytest.raises(FlowValidationError) as info:
        load(text.replace("defaults: 11", "defaults: 9"))
    assert [str(p) for p in info.value.problems] == ["flow.yaml:11:16: inputs[1].dependsOn.inputs[0]: input 'b' depends on unknown input 'missing'"]
