"""YAML mechanics of the loader: positions, duplicate keys, scalars, aliases, documents, syntax errors."""

from __future__ import annotations

import pytest

from legato.model import loader
from legato.model.errors import FlowValidationError
from legato.model.loader import load_flows, load_yaml_value, parse_documents

from .conftest import TEST_TASKS, TEST_TRIGGERS, load


def problems(text: str) -> list[tuple[str, str, int | None, int | None]]:
    with pytest.raises(FlowValidationError) as info:
        load(text)
    return [(p.path, p.message, p.line, p.column) for p in info.value.problems]


def test_valid_flow_loads(minimal: str) -> None:
    flow = load(minimal)
    assert (flow.id, flow.namespace) == ("hello", "company.team")
    assert flow.tasks[0].message == "hello"


def test_error_string_is_one_line_per_problem_with_source_line_and_column() -> None:
    text = (
        "id: hello\nnamespace: company.team\ntasks:\n  - id: a\n    type: test.Echo\n    message: x\n"
        "    retry:\n      type: constant\n      interval: PT1S\n      maxAttempts: 0\n"
    )
    with pytest.raises(FlowValidationError) as info:
        load(text, source="flows/x.yaml")
    assert str(info.value) == (
        "flows/x.yaml:10:20: tasks[0].retry.maxAttempts: Input should be greater than or equal to 1"
    )


def test_duplicate_key_is_reported_at_the_second_key() -> None:
    text = "id: a\nnamespace: n\nid: b\ntasks: []\n"
    found = problems(text)
    assert ("id", "duplicate key 'id' (first defined at line 1)", 3, 1) in found


def test_duplicate_key_in_a_nested_task() -> None:
    text = "id: a\nnamespace: n\ntasks:\n  - id: t\n    type: test.Echo\n    message: x\n    message: y\n"
    assert problems(text) == [("tasks[0].message", "duplicate key 'message' (first defined at line 6)", 7, 5)]


def test_syntax_error_reports_its_line() -> None:
    text = "id: a\nnamespace: n\ntasks:\n  - id: t\n   type: [unclosed\n"
    [(path, message, line, _)] = problems(text)
    assert path == "" and message.startswith("indentation: `type:` should line up with `id:`") and line is not None and line >= 5


def test_tab_indentation_is_named() -> None:
    text = "id: a\nnamespace: n\ntasks:\n\t- id: t\n"
    [(_, message, line, _)] = problems(text)
    assert message == "tab characters cannot indent YAML; use spaces"
    assert line == 4


@pytest.mark.parametrize(
    ("text", "got"),
    [("- a\n- b\n", "a list"), ("just text\n", "a single value"), ("", "an empty document"), ("# only a comment\n", "an empty document")],
)
def test_a_document_that_is_not_a_map_is_an_error(text: str, got: str) -> None:
    [(_, message, _, _)] = problems(text)
    assert message == f"a flow must be a YAML map with id, namespace and tasks; got {got}"


def test_yaml_1_2_scalars_yes_no_and_dates_stay_text() -> None:
    value = load_yaml_value("a: yes\nb: no\nc: on\nd: 2024-01-01\ne: true\nf: 0x1F\ng: 1.5e3\nh: ~\ni: '12'\nj: 012\nk: .inf\n")
    assert value == {"a": "yes", "b": "no", "c": "on", "d": "2024-01-01", "e": True, "f": 31, "g": 1500.0, "h": None,
                     "i": "12", "j": 12, "k": float("inf")}


def test_non_string_keys_become_text() -> None:
    assert load_yaml_value("200: ok\ntrue: yes\n") == {"200": "ok", "true": "yes"}


def test_anchors_aliases_and_merge_keys() -> None:
    text = "base: &b {level: WARN, message: hi}\nx:\n  <<: *b\n  message: override\ny: *b\n"
    value = load_yaml_value(text)
    assert value["x"] == {"level": "WARN", "message": "override"}
    assert value["y"] == {"level": "WARN", "message": "hi"}


def test_billion_laughs_is_bounded() -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        levels.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    with pytest.raises(FlowValidationError) as info:
        load_yaml_value("\n".join(levels) + "\n")
    assert f"more than {loader.MAX_NODES} values" in str(info.value)


def test_unsupported_tag_is_an_error() -> None:
    with pytest.raises(FlowValidationError) as info:
        load_yaml_value("a: !!python/object:os.system ls\n")
    assert "unsupported YAML tag '!!python/object:os.system'" in str(info.value)


def test_positions_point_at_values_and_keys() -> None:
    [doc] = parse_documents("id: a\ntasks:\n  - id: t\n    type: x\n")
    assert doc.positions[("tasks", 0, "type")] == (4, 11)
    assert doc.positions[(loader.KEY, "tasks", 0, "type")] == (4, 5)


def test_load_flow_refuses_several_documents(minimal: str) -> None:
    with pytest.raises(FlowValidationError) as info:
        load(minimal + "---\n" + minimal)
    assert "expected one flow, found 2 YAML documents" in str(info.value)


def test_load_flows_reads_every_document_and_skips_empty_ones(minimal: str) -> None:
    second = minimal.replace("id: hello", "id: other")
    flows = load_flows(minimal + "---\n" + second + "---\n", registry=TEST_TASKS, triggers=TEST_TRIGGERS)
    assert [f.id for f in flows] == ["hello", "other"]


def test_load_flows_reports_problems_of_each_document_at_their_lines(minimal: str) -> None:
    bad1 = "id: one\nnamespace: n\ntasks: []\n"
    bad2 = "id: two\nnamespace: N!\ntasks:\n  - id: t\n    type: test.Echo\n    message: x\n"
    with pytest.raises(FlowValidationError) as info:
        load_flows(bad1 + "---\n" + minimal + "---\n" + bad2, source="all.yaml", registry=TEST_TASKS, triggers=TEST_TRIGGERS)
    found = [(p.path, p.line) for p in info.value.problems]
    assert found == [("tasks", 3), ("namespace", 13)]


@pytest.mark.parametrize("depth", [300, 20000])
def test_deep_nesting_is_refused_not_a_crash(depth: int) -> None:
    with pytest.raises(FlowValidationError, match="nested deeper than"):
        load_yaml_value("a: " + "[" * depth + "]" * depth)
