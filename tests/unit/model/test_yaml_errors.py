"""YAML syntax errors of hand-written flows, said in plain words with the line and what to do."""

from __future__ import annotations

import pytest

from legato.model import loader

HEAD = "id: a\nnamespace: n\ntasks:\n"


def problem(text: str) -> tuple[str, int | None]:
    [found] = [p for d in loader.parse_documents(text) for p in d.problems]
    return found.message, found.line


@pytest.mark.parametrize("indent", [1, 3])
def test_a_key_indented_less_than_its_siblings_names_the_key_to_line_up_with(indent: int) -> None:
    message, line = problem(HEAD + "  - id: x\n" + " " * indent + "type: y\n")
    assert (
        message
        == "indentation: `type:` should line up with `id:` on line 4 (column 5); indent it more, to 4 spaces"
    )
    assert line == 5
    assert "block end" not in message


def test_a_key_indented_more_than_its_siblings_names_the_key_to_line_up_with() -> None:
    message, line = problem(HEAD + "  - id: x\n      type: y\n")
    assert (
        message
        == "indentation: `type:` should line up with `id:` on line 4 (column 5); indent it less, to 4 spaces"
    )
    assert line == 5


def test_a_list_item_out_of_line_with_the_one_above() -> None:
    message, line = problem(HEAD + "  - id: x\n    type: y\n - id: z\n")
    assert message.startswith(
        "indentation: `- ...` should line up with the - of the item on line 4 (column 3)"
    )
    assert line == 6


def test_an_unclosed_quote_points_at_where_it_opens() -> None:
    message, line = problem(HEAD + '  - id: x\n    message: "hi\n    type: y\n')
    assert message == 'the quoted value that starts on line 5 is never closed: add the closing " at its end'
    assert line == 5


def test_a_colon_in_an_unquoted_value_asks_for_quotes() -> None:
    message, _ = problem(HEAD + "  - id: x\n    message: a: b\n")
    assert message == "a value that contains ': ' must be put in quotes, e.g. message: \"a: b\""


def test_an_unquoted_expression_asks_for_quotes() -> None:
    message, line = problem(HEAD + "  - id: x\n    message: {{ outputs.x }}\n")
    assert message == 'a value that starts with {{ must be put in quotes, e.g. message: "{{ outputs.x }}"'
    assert line == 5


def test_an_unclosed_bracket_names_the_line_it_opens() -> None:
    message, line = problem("id: a\nnamespace: n\nlabels: [a, b\ntasks: []\n")
    assert message.startswith("the [ opened on line 3 is not closed with ]")
    assert line == 4


def test_an_unknown_mistake_keeps_the_parser_words() -> None:
    message, line = problem("id: a\nnamespace: n\n%bad\n")
    assert message == "invalid YAML: expected '<document start>', but found '<stream end>'"
    assert line == 4


def test_text_after_a_closing_quote_asks_to_quote_the_whole_value() -> None:
    message, line = problem('id: a\nnamespace: n\nx: "a" b\n')
    assert message == "text follows a quoted value: put the whole value inside the quotes"
    assert line == 3
