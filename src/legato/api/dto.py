"""Request and response bodies of the API: every route answers one of these models (or a list of them), never a
bare dict. Fields are snake_case in Python and Kestra's camelCase on the wire (`Wire`'s alias generator); the
models make the OpenAPI document, from which the UI's types are generated (`make ui-types`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, RootModel, SerializerFunctionWrapHandler, model_serializer
from pydantic.alias_generators import to_camel

from legato.model.state import State

T = TypeVar("T")


class Wire(BaseModel):
    """A JSON body of the API: snake_case in Python, Kestra's camelCase on the wire (FastAPI answers by alias;
    dump with `by_alias=True` elsewhere). Either name is accepted when building one."""

    # A field with a default is still always sent: the answer's schema says so (the UI's types rely on it).
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True,
                              json_schema_serialization_defaults_required=True)

    def wire(self) -> dict[str, Any]:
        """The JSON-ready body exactly as the API sends it."""
        return self.model_dump(mode="json", by_alias=True)


class Dto(Wire):
    """A body carrying, besides its declared fields, properties it passes through unchanged (a flow's YAML
    properties, a test suite's)."""

    model_config = ConfigDict(extra="allow")


class ErrorDetail(Wire):
    path: str = Field(description="Where the problem is: JSON path in the flow, input id, or request field.")
    message: str = Field(description="What is wrong.")
    line: int | None = Field(default=None, description="1-based YAML line, when the problem is in a flow source.")
    column: int | None = Field(default=None, description="1-based YAML column, when known.")


class ErrorBody(Wire):
    message: str = Field(description="A summary a user can act on.")
    details: list[ErrorDetail] = Field(default_factory=list, description="Each problem found, with its location.")


ERRORS: dict[int | str, dict[str, Any]] = {
    # the content type is spelled out: routes answering text or bytes still send errors as JSON
    code: {"model": ErrorBody, "description": text,
           "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
    for code, text in (
        (400, "Malformed request"),
        (401, "Authentication required, or the credentials are wrong, expired or revoked"),
        (403, "A permission is missing (the message names it)"),
        (404, "Not found"),
        (409, "Conflicts with the current state"),
        (422, "Invalid flow, inputs or parameters"),
    )
}


class Paged(Wire, Generic[T]):
    results: list[T] = Field(description="The requested page.")
    total: int = Field(description="How many items match the filters, across all pages.")


class Label(Wire):
    key: str
    value: str


# ---- flows ------------------------------------------------------------------------------------------------


class FlowDto(Dto):
    """A flow revision: its YAML properties plus what the server adds (revision, disabled, deleted, updated),
    and `source` (the YAML text) where asked for."""

    id: str
    namespace: str
    revision: int
    disabled: bool = False
    deleted: bool = False
    updated: datetime | None = None


class ValidateResult(Wire):
    index: int = Field(description="0-based position of the document in the submitted YAML.")
    flow: str | None = Field(default=None, description="The flow id, when it could be read.")
    namespace: str | None = None
    constraints: str | None = Field(default=None, description="Every problem as text; null when the flow is valid.")
    outdated: bool = Field(default=False, description="True when the flow exists with a different source.")
    details: list[ErrorDetail] = Field(default_factory=list, description="Each problem with its YAML line.")
    warnings: list[str] = Field(default_factory=list, description="Expression findings of a valid flow (an unclosed "
                                "`{{`, an unknown function or filter, `outputs.<id>` of no task, `inputs.<id>` of "
                                "no input), each as `line:column: property: finding`.")
    warning_details: list[ErrorDetail] = Field(default_factory=list, description="The same findings, located.")


class GraphNode(Wire):
    uid: str
    type: str = Field(description="start, end, task, cluster-root or cluster-end.")
    task_id: str | None = None
    task_type: str | None = None
    flowable: bool = False


class GraphEdge(Wire):
    source: str
    target: str
    relation: str = Field(description="SEQUENTIAL, PARALLEL, CHOICE, DYNAMIC, ERROR or FINALLY.")
    value: str | None = Field(default=None, description="The branch taken (then, else, a case value).")


class GraphCluster(Wire):
    uid: str
    task_id: str
    nodes: list[str]


class FlowGraph(Wire):
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    clusters: list[GraphCluster]


# ---- executions -------------------------------------------------------------------------------------------


class StateHistory(Wire):
    state: str
    date: str = Field(description="When the state was entered (ISO 8601).")


class StateDto(Wire):
    current: str
    histories: list[StateHistory]
    start_date: str | None = None
    end_date: str | None = None


class AttemptState(Wire):
    current: str
    start_date: str | None = None
    end_date: str | None = None


class AttemptDto(Wire):
    model_config = ConfigDict(json_schema_serialization_defaults_required=False)  # `runner` may be absent

    state: AttemptState
    worker_id: str | None = None
    runner: str | None = Field(default=None, description="Where a script task's command ran (process, sandbox, "
                               "docker...); absent for other tasks.")

    @model_serializer(mode="wrap")
    def _without_absent_runner(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        body: dict[str, Any] = handler(self)
        if body.get("runner") is None:
            body.pop("runner", None)
        return body


class TaskRunDto(Wire):
    id: str
    execution_id: str
    task_id: str
    parent_task_run_id: str | None = None
    value: str | None = None
    iteration: int | None = None
    state: StateDto
    attempts: list[AttemptDto] = Field(default_factory=list)
    outputs: dict[str, Any] = Field(default_factory=dict)
    metrics: list[dict[str, Any]] = Field(default_factory=list, description="Counters and timers the task reported.")
    error: str | None = Field(default=None, description="Why the task run failed, as its last attempt reported it.")


class ExecutionDto(Wire):
    id: str
    namespace: str
    flow_id: str
    flow_revision: int
    state: StateDto
    inputs: dict[str, Any] = Field(default_factory=dict)
    outputs: dict[str, Any] = Field(default_factory=dict)
    variables: dict[str, Any] = Field(default_factory=dict, description="Set by SetVariables tasks at run time.")
    labels: list[Label] = Field(default_factory=list)
    trigger: dict[str, Any] | None = None
    parent_id: str | None = None
    original_id: str | None = None
    error: str | None = Field(default=None, description="Why the execution failed when no task run did.")
    task_run_list: list[TaskRunDto] = Field(default_factory=list)
    schedule_date: str | None = Field(default=None, description="When a scheduled execution starts (ISO 8601).")


class FlowIdentity(Wire):
    """A flow named by its namespace and id (Kestra's IdWithNamespace)."""

    namespace: str = Field(max_length=150)
    id: str = Field(max_length=100)


class FlowCount(Wire):
    count: int = Field(description="How many flows were acted on.")


class BulkError(Wire):
    id: str
    message: str = Field(description="Why this execution was left as it is.")


class BulkResult(Wire):
    count: int = Field(description="How many executions were acted on.")
    errors: list[BulkError] = Field(default_factory=list, description="The executions that could not be.")


class CheckMessage(Wire):
    """A check of the flow that does not hold for the inputs given, and does not block the execution."""

    message: str
    style: str = Field(description="ERROR, SUCCESS, WARNING or INFO: how the UI shows it.")


class ValidatedInputs(Wire):
    namespace: str
    flow_id: str
    inputs: dict[str, Any] = Field(description="The typed input values an execution would get (secrets masked).")
    checks: list[CheckMessage] = Field(default_factory=list, description=(
        "The flow's checks that do not hold but let the execution be created."))


class EvalResult(Wire):
    result: str | None = Field(default=None, description="The rendered text (secrets masked); null on error.")
    error: str | None = Field(default=None, description="Why the expression could not be rendered.")


class FileMeta(Wire):
    uri: str = Field(description="The kestra:/// URI.")
    size: int = Field(description="Size in bytes.")
    name: str = Field(description="The file name.")


class FilePreview(Wire):
    extension: str = Field(description="The file's extension, lower case, without the dot.")
    type: Literal["LIST", "TEXT", "IMAGE", "NONE"] = Field(
        description="LIST (rows of CSV/JSON/ION), TEXT, IMAGE (base64 `content`) or NONE.")
    content: Any = Field(default=None, description="The first rows, the first characters or the image.")
    truncated: bool = Field(default=False, description="True when there is more than what is shown.")
    size: int


class NamespaceFileEntry(Wire):
    file_name: str
    type: Literal["File", "Directory"]
    size: int
    last_modified_time: datetime | None = None


class MoveRequest(Wire):
    source: str = Field(max_length=1024, description="Path of the file or folder to move.")
    to: str = Field(max_length=1024, description="Its new path.")


class TaskRunStateChange(Wire):
    task_run_id: str = Field(description="The task run to change.")
    state: State = Field(description="The final state to set: SUCCESS, WARNING, FAILED, KILLED, SKIPPED...")


# ---- logs, kv, plugins, system ------------------------------------------------------------------------------


class LogEntry(Wire):
    execution_id: str
    task_run_id: str | None = None
    task_id: str | None = None
    attempt_number: int | None = None
    level: str
    message: str
    timestamp: str
    namespace: str | None = None
    flow_id: str | None = None


class KVEntryDto(Wire):
    key: str
    type: str
    creation_date: str | None = None
    update_date: str
    expiration_date: str | None = None


class KVDeleteRequest(Wire):
    keys: list[str] = Field(max_length=1000, description="The keys to delete.")


class KVDeleted(Wire):
    keys: list[str] = Field(description="The keys that existed and were deleted.")


class TypedValue(Wire):
    type: str
    value: Any


class PluginSummary(Wire):
    cls: str = Field(description="The canonical type name.")
    aliases: list[str] = Field(description="Other accepted names (Kestra's).")
    kind: Literal["task", "trigger"]
    title: str = Field(description="First line of the type's documentation.")
    flowable: bool = False


class PluginDoc(PluginSummary):
    markdown: str = Field(description="Documentation with YAML examples.")
    examples: list[str]
    schema_: dict[str, Any] = Field(alias="schema", description="JSON Schema of the type's properties.")


class InputType(Wire):
    type: str
    schema_: dict[str, Any] = Field(alias="schema", description="JSON Schema of the input's properties.")


class JsonSchema(RootModel[dict[str, Any]]):
    """A JSON Schema document (draft 2020-12), sent as it is."""


class Variables(RootModel[dict[str, Any]]):
    """A namespace's variables: names to the values its flows see as `namespace.*` (any JSON)."""


class Health(Wire):
    status: str = Field(description="UP when the API and its database answer.")
    database: str


class Configs(Wire):
    version: str
    tenant: str
    backend: str = Field(description="sqlite or postgresql.")
    basicAuthEnabled: bool
    features: list[str] = Field(description="What this server offers; `ai` when its AI copilot has a model.")
    startedAt: datetime
    isAiEnabled: bool = Field(default=False, description="Whether the AI copilot has a model (ai_url, ai_model): the "
                                                         "editor's copilot and Fix with AI show only then.")


class BlueprintDto(Wire):
    id: str
    title: str
    description: str
    tags: list[str]
    requires: list[str] = Field(description="What the flow needs to end on its own: network, approval...")
    included_tasks: list[str] = Field(description="The task and trigger types the flow uses.")
    source: str | None = Field(default=None, description="The flow YAML (on the single-blueprint route).")


class BlueprintTag(Wire):
    id: str
    name: str
    count: int


class DailyStatsRequest(Wire):
    startDate: datetime | None = Field(default=None, description="First day included (default: 30 days ago).")
    endDate: datetime | None = Field(default=None, description="Last instant included (default: now).")
    namespace: str | None = None
    flowId: str | None = None
    timeZone: str | None = Field(default=None, max_length=64, examples=["Europe/Paris"],
                                 description="IANA time zone whose days the daily counts follow (default: UTC).")


class DurationStats(Wire):
    count: int
    sum: float
    avg: float | None
    min: float | None
    max: float | None


class DailyStats(Wire):
    start_date: str = Field(description="The day (UTC), YYYY-MM-DD.")
    execution_counts: dict[str, int]
    duration: DurationStats


class GroupStats(Wire):
    namespace: str
    flow_id: str | None = None
    execution_counts: dict[str, int]


# ---- test suites (flow unit tests) ----------------------------------------------------------------------------


class TestSuiteDto(Dto):
    """A stored test suite: where it is, the flow it tests, and its YAML `source`."""

    __test__ = False

    id: str
    namespace: str
    flow_id: str
    disabled: bool = False
    updated: datetime | None = None
    source: str | None = None


class AssertionResultDto(Wire):
    operator: str = Field(description="The operator checked (equalTo, contains, ...).")
    expected: Any = Field(default=None, description="The value the operator compared with.")
    actual: Any = Field(default=None, description="The rendered value.")
    isSuccess: bool
    description: str | None = None
    errorMessage: str | None = None
    taskId: str | None = None


class RunErrorDto(Wire):
    message: str
    details: str | None = None


class UnitTestResultDto(Wire):
    testId: str = Field(description="The test case's id.")
    testType: str
    executionId: str | None = Field(default=None, description="The transient execution the case ran as.")
    executionState: str | None = None
    state: str = Field(description="SUCCESS, FAILED, ERROR or SKIPPED.")
    description: str | None = None
    duration: float | None = None
    url: str | None = None
    assertionResults: list[AssertionResultDto] = Field(default_factory=list)
    errors: list[RunErrorDto] = Field(default_factory=list)


class TestSuiteRunResultDto(Wire):
    """One run of a test suite."""

    __test__ = False

    id: str
    testSuiteId: str
    namespace: str
    flowId: str
    state: str = Field(description="ERROR over FAILED over SUCCESS among its cases; SKIPPED when none ran.")
    startDate: datetime
    endDate: datetime
    results: list[UnitTestResultDto]


# ---- dashboards ----------------------------------------------------------------------------------------------


class TimeWindowDto(Wire):
    default: str = Field(description="ISO-8601 duration shown first (P30D...).")
    max: str = Field(description="ISO-8601 duration: the widest time range a chart may be asked for.")


class DashboardDto(Wire):
    """A custom dashboard: its properties, its charts as written (JSON), and its YAML `sourceCode`."""

    id: str
    title: str
    description: str | None = None
    time_window: TimeWindowDto
    charts: list[dict[str, Any]] = Field(description="The charts' definitions (type, chartOptions, data...).")
    source_code: str | None = Field(default=None, description="The YAML as written (left out of lists).")
    created: datetime | None = None
    updated: datetime | None = None


class ChartRequest(Wire):
    start_date: datetime = Field(description="Start of the time range (ISO-8601 date-time).")
    end_date: datetime = Field(description="End of the time range (ISO-8601 date-time).")
    page_number: int | None = Field(default=None, ge=1, description="1-based page of the rows (with pageSize).")
    page_size: int | None = Field(default=None, ge=1, le=10_000, description="Rows per page.")


class ChartPreviewRequest(ChartRequest):
    chart: str = Field(description="The YAML of one chart (id, type, chartOptions, data).", max_length=100_000)


class AppAccessDto(Wire):
    type: str = Field(description="PUBLIC or PRIVATE.")
    groups: list[str] = Field(default_factory=list)
    catalog: bool = True


class AppDto(Wire):
    """An app: what lists and the page header show, and its YAML `sourceCode`."""

    id: str
    display_name: str
    description: str | None = None
    namespace: str
    flow_id: str
    access: AppAccessDto
    tags: list[str] = Field(default_factory=list)
    disabled: bool = False
    url: str = Field(description="The path of the app's page in the web UI.")
    source_code: str | None = Field(default=None, description="The YAML as written (left out of lists).")
    created: datetime | None = None
    updated: datetime | None = None


class AppExecutionDto(Wire):
    id: str
    state: str


class AppViewDto(Wire):
    """An app's page for one visit: the stage its execution is at, the stage whose blocks are shown, and those
    blocks, each with its `type` (short name) and resolved properties (rendered texts, form inputs, values...)."""

    app: AppDto
    stage: str = Field(description="OPEN, CREATED, RUNNING, PAUSE, RESUME, SUCCESS, FAILURE or ERROR.")
    shown_stage: str = Field(description="The layout entry shown (RESUME falls back to RUNNING, a stage without "
                                         "blocks to FALLBACK).")
    ended: bool = Field(description="Whether the execution has ended (the page stops following it).")
    execution: AppExecutionDto | None = None
    blocks: list[dict[str, Any]]


class AppPreviewRequest(Wire):
    source: str = Field(description="The app's YAML, not saved yet.", max_length=500_000)
    stage: str = Field(default="OPEN", description="The stage whose blocks are shown.")


class MetricEntry(Wire):
    """One counter or timer a task run reported, in Kestra's MetricEntry shape."""

    namespace: str
    flow_id: str
    execution_id: str
    task_id: str
    task_run_id: str
    type: Literal["counter", "timer"] = Field(description="A counter adds up; a timer is a duration.")
    name: str
    value: float = Field(description="The counter's value, or the timer's duration in milliseconds (as Kestra).")
    timestamp: datetime | None = Field(default=None, description="When the task run reported it (its end).")
    tags: dict[str, str] = Field(default_factory=dict)
