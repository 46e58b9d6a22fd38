"""A test suite as Kestra writes it: `id`, `namespace`, `flowId`, `testCases` of type
`io.kestra.core.tests.flow.UnitTest`, each with `fixtures` (inputs, files, tasks, trigger) and `assertions`.
Parsed like a flow: every problem is reported with its file and line."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from legato.model.fixtures import TaskFixture
from legato.model.flow import FLOW_ID_PATTERN, NAMESPACE_PATTERN
from legato.model.loader import parse_documents
from legato.model.resource import parse_resource
from legato.model.state import TERMINAL, State

UNIT_TEST: Literal["io.kestra.core.tests.flow.UnitTest"] = "io.kestra.core.tests.flow.UnitTest"
OPERATORS = ("isNotNull", "isNull", "equalTo", "notEqualTo", "endsWith", "startsWith", "contains", "greaterThan",
             "greaterThanOrEqualTo", "lessThan", "lessThanOrEqualTo", "in", "notIn")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class TriggerFixture(_Frozen):
    """The trigger the execution appears to come from: expressions see `trigger.<variable>`."""

    id: str = Field(description="The id of the flow's trigger.")
    type: str | None = Field(default=None, description="The trigger's type.")
    variables: dict[str, Any] = Field(default_factory=dict, description="What the trigger emits (body, headers...).")


class Fixtures(_Frozen):
    inputs: dict[str, Any] = Field(default_factory=dict, description="Flow input values.")
    files: dict[str, str] = Field(
        default_factory=dict, description="Inline files by name; expressions see their URIs as `files['name']`.")
    tasks: list[TaskFixture] = Field(
        default_factory=list, description="Tasks not run: their `outputs` and `state` are given (only `id`: skipped).")
    trigger: TriggerFixture | None = Field(default=None, description="The trigger that starts the execution.")


class Assertion(_Frozen):
    """A value (usually an expression) checked with one or more operators."""

    value: Any = Field(description="What is checked, e.g. `{{ outputs.task.value }}`.")
    taskId: str | None = Field(default=None, description="Render `value` as this task's run sees it.")
    description: str | None = Field(default=None, description="What the assertion checks.")
    errorMessage: str | None = Field(default=None, description="Reported when the assertion fails.")
    isNotNull: bool | None = None
    isNull: bool | None = None
    equalTo: Any = None
    notEqualTo: Any = None
    endsWith: str | None = None
    startsWith: str | None = None
    contains: Any = None
    greaterThan: Any = None
    greaterThanOrEqualTo: Any = None
    lessThan: Any = None
    lessThanOrEqualTo: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")
    notIn: list[Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _equals_to(cls, data: Any) -> Any:
        # Kestra's documentation spells it `equalsTo` in one example; both are read as `equalTo`.
        if isinstance(data, dict) and "equalsTo" in data and "equalTo" not in data:
            data = {("equalTo" if k == "equalsTo" else k): v for k, v in data.items()}
        return data

    @model_validator(mode="after")
    def _one_operator(self) -> Assertion:
        if not self.operators():
            raise ValueError(f"an assertion needs one of the operators {', '.join(OPERATORS)}")
        return self

    def operators(self) -> list[tuple[str, Any]]:
        """The operators given, with their expected values, in Kestra's order."""
        fields = {name: "in_" if name == "in" else name for name in OPERATORS}
        return [(name, getattr(self, field)) for name, field in fields.items() if field in self.model_fields_set]


class UnitTestCase(_Frozen):
    id: str = Field(pattern=FLOW_ID_PATTERN, description="The test case's id, unique in its suite.")
    type: Literal["io.kestra.core.tests.flow.UnitTest", "UnitTest"] = Field(
        default=UNIT_TEST, description="The kind of test (only flow unit tests).")
    description: str | None = None
    disabled: bool = Field(default=False, description="Skip this test case.")
    fixtures: Fixtures = Field(default_factory=Fixtures)
    assertions: list[Assertion] = Field(default_factory=list)
    expectedState: State | None = Field(
        default=None, description="The state the execution must end in (by default any; assertions decide).")

    @model_validator(mode="after")
    def _final_state(self) -> UnitTestCase:
        if self.expectedState is not None and self.expectedState not in TERMINAL:
            raise ValueError(f"expectedState must be a final state, not {self.expectedState}")
        ids = [t.id for t in self.fixtures.tasks]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"task fixtures given twice: {', '.join(twice)}")
        return self


class TestSuite(_Frozen):
    __test__ = False  # not a pytest class

    id: str = Field(pattern=FLOW_ID_PATTERN, description="The suite's id, unique in its namespace.")
    namespace: str = Field(pattern=NAMESPACE_PATTERN, description="The namespace of the flow under test.")
    flowId: str = Field(pattern=FLOW_ID_PATTERN, description="The flow under test.")
    description: str | None = None
    disabled: bool = Field(default=False, description="Skip the whole suite.")
    testCases: list[UnitTestCase] = Field(min_length=1, description="The test cases.")

    @model_validator(mode="after")
    def _unique_cases(self) -> TestSuite:
        ids = [c.id for c in self.testCases]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"test case ids used twice: {', '.join(twice)}")
        return self


def is_suite(value: Any) -> bool:
    """Whether a parsed YAML document is a test suite (it has `flowId` and `testCases`), not a flow."""
    return isinstance(value, dict) and "testCases" in value and "flowId" in value


def looks_like_suite(text: str, name: str) -> bool:
    """Whether `text` is one YAML document with a test suite's keys (`flowId`, `testCases`)."""
    docs = parse_documents(text, source=name)
    return len(docs) == 1 and not docs[0].problems and is_suite(docs[0].value)


def parse_suite(text: str, name: str = "<suite>") -> TestSuite:
    """The test suite in `text`; FlowValidationError names `name` and the line of every problem."""
    return parse_resource(text, name, TestSuite, kind="test suite",
                          shape="a test suite must be a YAML map with id, namespace, flowId and testCases")
