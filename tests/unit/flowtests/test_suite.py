"""Reading a test suite: Kestra's shape, `equalsTo` as the documentation spells it once, and problems reported
with their file and line."""

from __future__ import annotations

import pytest

from legato.flowtests.suite import is_suite, parse_suite
from legato.model.errors import FlowValidationError
from legato.model.state import State

SUITE = """\
id: etl_suite
namespace: company.team
flowId: etl
testCases:
  - id: mocked
    type: io.kestra.core.tests.flow.UnitTest
    description: the API is mocked
    fixtures:
      inputs:
        day: 2024-01-01
      files:
        data.json: "{}"
      tasks:
        - id: notify
        - id: extract
          state: WARNING
          outputs:
            uri: "{{ files['data.json'] }}"
      trigger:
        id: webhook
        type: io.kestra.plugin.core.trigger.Webhook
        variables:
          body: hi
    assertions:
      - value: "{{ outputs.transform.value }}"
        equalsTo: "[A, B]"
        errorMessage: names are upper-cased
      - value: "{{ outputs.transform.value }}"
        in: ["a", "b"]
        notIn: ["c"]
    expectedState: WARNING
"""


def test_kestra_shape_is_read() -> None:
    suite = parse_suite(SUITE)
    case = suite.testCases[0]
    assert (suite.id, suite.namespace, suite.flowId) == ("etl_suite", "company.team", "etl")
    assert case.fixtures.inputs == {"day": "2024-01-01"}
    assert case.fixtures.files == {"data.json": "{}"}
    skip, mock = case.fixtures.tasks
    assert (skip.id, skip.outputs, skip.state) == ("notify", None, State.SUCCESS)
    assert (mock.state, mock.outputs) == (State.WARNING, {"uri": "{{ files['data.json'] }}"})
    assert case.fixtures.trigger is not None and case.fixtures.trigger.variables == {"body": "hi"}
    assert case.assertions[0].operators() == [("equalTo", "[A, B]")]
    assert case.assertions[1].operators() == [("in", ["a", "b"]), ("notIn", ["c"])]
    assert case.expectedState == State.WARNING
    assert is_suite({"flowId": "etl", "testCases": []}) and not is_suite({"id": "etl", "tasks": []})


@pytest.mark.parametrize(("broken", "where"), [
    (SUITE.replace("equalsTo:", "equalz:"), "suite.yaml:26:9: testCases[0].assertions[0].equalz"),
    (SUITE.replace("state: WARNING", "state: RUNNING"), "suite.yaml:15:11: testCases[0].fixtures.tasks[1]: fixture of task 'extract': state must be a final state"),
    (SUITE.replace("- id: notify", "- id: extract"), "suite.yaml:5:5: testCases[0]: task fixtures "
                                                        "given twice: extract"),
    (SUITE.replace("flowId: etl\n", ""), "suite.yaml:1:1: flowId"),
])
def test_problems_name_the_file_and_line(broken: str, where: str) -> None:
    with pytest.raises(FlowValidationError) as caught:
        parse_suite(broken, "suite.yaml")
    assert where in str(caught.value)


def test_an_assertion_needs_an_operator() -> None:
    with pytest.raises(FlowValidationError, match="an assertion needs one of the operators"):
        parse_suite(SUITE.replace("        equalsTo: \"[A, B]\"\n", ""), "suite.yaml")
