"""Flow unit tests (Kestra's test suites) at Kestra's paths: create, read, update, delete, search and validate
suites; run one (or several by query) on this server's executor and worker, as transient executions that the
executions list leaves out; read a run's result and a suite's history."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from legato import secrets_env
from legato.api import dto
from legato.api.context import Acting, ApiContext, Ctx, check_tenant
from legato.api.errors import problem_detail
from legato.api.params import YAML_BODY, Page, paging, yaml_body
from legato.expressions import Renderer
from legato.flowtests import service
from legato.flowtests.runner import DEFAULT_TIMEOUT, TestEnv
from legato.flowtests.suite import parse_suite
from legato.model.errors import FlowValidationError
from legato.store.ports import TestSuiteRecord

router = APIRouter(prefix="/api/v1/{tenant}/tests", tags=["Tests"], dependencies=[Depends(check_tenant)],
                   responses=dto.ERRORS)

Namespace = Annotated[str, Path(description="The suite's namespace.", max_length=150)]
SuiteId = Annotated[str, Path(description="The suite's id.", max_length=100)]
Source = Annotated[str, Depends(yaml_body)]


class RunRequest(dto.Wire):
    testCases: list[str] | None = Field(default=None, description="Run only these test cases (default: all).")


class RunQuery(dto.Wire):
    namespace: str | None = Field(default=None, description="Suites in this namespace and its children.")
    flowId: str | None = Field(default=None, description="Suites of this flow.")


class SuiteRef(dto.Wire):
    namespace: str
    id: str


class LastResultsRequest(dto.Wire):
    testSuiteIds: list[SuiteRef] = Field(description="The suites whose latest result to return.")


def routers() -> list[APIRouter]:
    return [router]


def _json(record: TestSuiteRecord, *, source: bool = True) -> dto.TestSuiteDto:
    return dto.TestSuiteDto(id=record.id, namespace=record.namespace, flow_id=record.flow_id,
                            disabled=record.disabled, updated=record.updated,
                            source=record.source if source else None)


def _result(data: dict[str, Any]) -> dto.TestSuiteRunResultDto:
    """A recorded run, as the flow tests' service stored it (already in the answer's shape)."""
    return dto.TestSuiteRunResultDto.model_validate(data)


def _env(ctx: ApiContext) -> TestEnv:
    return TestEnv(ctx.store, ctx.flows, ctx.storage, Renderer(clock=ctx.clock, functions=secrets_env.FUNCTIONS),
                   ctx.clock)


# ---- fixed paths first, so they are not read as a namespace ---------------------------------------------------


@router.get("/search", summary="Search test suites", response_model=dto.Paged[dto.TestSuiteDto])
def search(
    ctx: Ctx, by: Acting, page: Annotated[Page, Depends(paging)],
    namespace: Annotated[str | None, Query(max_length=150, description="This namespace and its children.")] = None,
    flowId: Annotated[str | None, Query(max_length=100, description="Suites of this flow.")] = None,
) -> dto.Paged[dto.TestSuiteDto]:
    """Test suites matching the filters, by namespace and id, paged (without their sources)."""
    found = service.search(ctx.store, namespace, flowId, by=by)
    return dto.Paged[dto.TestSuiteDto](results=[_json(r, source=False) for r in page.slice(found)], total=len(found))


@router.post("/validate", summary="Validate a test suite", response_model=dto.ValidateResult,
             openapi_extra=YAML_BODY)
def validate(source: Source) -> dto.ValidateResult:
    """Check a suite's YAML without storing it: `constraints` and located `details` when it is invalid."""
    try:
        suite = parse_suite(source)
    except FlowValidationError as exc:
        return dto.ValidateResult(index=0, constraints=str(exc), details=[problem_detail(p) for p in exc.problems])
    return dto.ValidateResult(index=0, namespace=suite.namespace)


@router.post("/run", summary="Run test suites by query", response_model=list[dto.TestSuiteRunResultDto])
async def run_by_query(ctx: Ctx, by: Acting, query: Annotated[RunQuery, Body()]) -> list[dto.TestSuiteRunResultDto]:
    """Run every enabled suite matching the query, one after the other; their results, recorded in their
    histories."""
    results = []
    for record in service.search(ctx.store, query.namespace, query.flowId, by=by):
        if not record.disabled:
            result = await service.run(_env(ctx), record.namespace, record.id, by=by)
            results.append(_result(service.result_json(result, by.tenant)))
    return results


@router.get("/results/search", summary="Search test results", response_model=dto.Paged[dto.TestSuiteRunResultDto])
def search_results(
    ctx: Ctx, by: Acting, page: Annotated[Page, Depends(paging)],
    namespace: Annotated[str, Query(max_length=150, description="The suite's namespace.")],
    testSuiteId: Annotated[str, Query(max_length=100, description="The suite's id.")],
) -> dto.Paged[dto.TestSuiteRunResultDto]:
    """A suite's runs, newest first, paged."""
    history = service.results(ctx.store, namespace, testSuiteId, by=by, limit=page.offset + page.size + 1000)
    return dto.Paged[dto.TestSuiteRunResultDto](results=[_result(r.data) for r in page.slice(history)],
                                                total=len(history))


@router.post("/results/search/last", summary="Latest result of test suites",
             response_model=list[dto.TestSuiteRunResultDto])
def last_results(ctx: Ctx, by: Acting, request: Annotated[LastResultsRequest, Body()]) -> list[dto.TestSuiteRunResultDto]:
    """The latest run of each suite asked for that has run at least once."""
    out = []
    for ref in request.testSuiteIds:
        latest = service.results(ctx.store, ref.namespace, ref.id, by=by, limit=1)
        if latest:
            out.append(_result(latest[0].data))
    return out


@router.get("/results/{id}", summary="Get a test result", response_model=dto.TestSuiteRunResultDto)
def get_result(ctx: Ctx, by: Acting,
               id: Annotated[str, Path(max_length=64, description="The result's id.")]) -> dto.TestSuiteRunResultDto:
    """One run of a suite: its state and each test case's assertions, errors and execution."""
    return _result(service.result(ctx.store, id, by=by).data)


@router.post("", summary="Create a test suite", response_model=dto.TestSuiteDto, openapi_extra=YAML_BODY,
             responses={409: {"model": dto.ErrorBody, "description": "A suite with this id exists in the namespace"}})
async def create(ctx: Ctx, by: Acting, source: Source) -> dto.TestSuiteDto:
    """Store a new suite from its YAML source; 409 if it exists, 422 with located problems if invalid."""
    record, _ = await run_in_threadpool(partial(service.save, by=by, now=ctx.clock(), create=True), ctx.store, source)
    return _json(record)


# ---- one suite ------------------------------------------------------------------------------------------------


@router.get("/{namespace}/{id}", summary="Get a test suite", response_model=dto.TestSuiteDto)
def get(ctx: Ctx, by: Acting, namespace: Namespace, id: SuiteId) -> dto.TestSuiteDto:
    """The suite with its YAML source."""
    return _json(service.get(ctx.store, namespace, id, by=by))


@router.put("/{namespace}/{id}", summary="Update a test suite", response_model=dto.TestSuiteDto,
            openapi_extra=YAML_BODY)
async def update(ctx: Ctx, by: Acting, namespace: Namespace, id: SuiteId, source: Source) -> dto.TestSuiteDto:
    """Replace the suite's source; 404 if it does not exist, 409 if the source names another suite."""
    record, _ = await run_in_threadpool(partial(service.save, by=by, now=ctx.clock(), at=(namespace, id)),
                                        ctx.store, source)
    return _json(record)


@router.delete("/{namespace}/{id}", summary="Delete a test suite", status_code=204, response_class=Response)
def delete(ctx: Ctx, by: Acting, namespace: Namespace, id: SuiteId) -> Response:
    """Delete the suite (the results of its past runs stay readable)."""
    service.delete(ctx.store, namespace, id, by=by)
    return Response(status_code=204)


@router.post("/{namespace}/{id}/run", summary="Run a test suite", response_model=dto.TestSuiteRunResultDto)
async def run(
    ctx: Ctx, by: Acting, namespace: Namespace, id: SuiteId,
    request: Annotated[RunRequest | None, Body()] = None,
    timeout: Annotated[float, Query(gt=0, le=3600, description="Seconds a test case may take.")] = DEFAULT_TIMEOUT,
) -> dto.TestSuiteRunResultDto:
    """Run the suite's test cases (or those in `testCases`) now, each as a transient execution with its
    fixtures, and check their assertions; the result is recorded in the suite's history."""
    result = await service.run(_env(ctx), namespace, id, by=by, only=request.testCases if request else None,
                               timeout=timeout)
    return _result(service.result_json(result, by.tenant))

