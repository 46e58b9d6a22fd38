"""Custom dashboards at Kestra's paths: create, read, update, delete, list and validate their YAML; the rows of
one chart for a time range, and the same rows as a CSV file. Dashboards and the data their charts read belong
to the path's tenant."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from legato.api import dto
from legato.api.context import Acting, Ctx, check_tenant
from legato.api.errors import bad_request, problem_detail
from legato.api.params import YAML_BODY, Page, paging, yaml_body
from legato.dashboards import Dashboard
from legato.model.errors import FlowValidationError
from legato.services import dashboards as service
from legato.store.ports import DashboardRecord

router = APIRouter(prefix="/api/v1/{tenant}/dashboards", tags=["Dashboards"], dependencies=[Depends(check_tenant)],
                   responses=dto.ERRORS)

DashboardId = Annotated[str, Path(description="The dashboard's id.", max_length=100)]
ChartId = Annotated[str, Path(description="The chart's id.", max_length=100)]
Source = Annotated[str, Depends(yaml_body)]


def routers() -> list[APIRouter]:
    return [router]


def _dto(record: DashboardRecord, dashboard: Dashboard, *, source: bool = True) -> dto.DashboardDto:
    window = dashboard.time_window
    return dto.DashboardDto(
        id=record.id, title=dashboard.title, description=dashboard.description,
        time_window=dto.TimeWindowDto(default=window.default, max=window.max),
        charts=[c.model_dump(mode="json", by_alias=True, exclude_none=True) for c in dashboard.charts],
        source_code=record.source if source else None,
        created=None if record.created == service.BUILT_IN else record.created,
        updated=None if record.updated == service.BUILT_IN else record.updated)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@router.get("", summary="Search dashboards", response_model=dto.Paged[dto.DashboardDto])
def search(ctx: Ctx, by: Acting, page: Annotated[Page, Depends(paging)],
           q: Annotated[str | None, Query(max_length=255, description="Id or title contains this.")] = None,
           ) -> dto.Paged[dto.DashboardDto]:
    """Dashboards by title then id, paged (without their sources)."""
    found = service.search(ctx.store, q, by=by)
    shown = [_dto(r, service.validate(r.source), source=False) for r in page.slice(found)]
    return dto.Paged[dto.DashboardDto](results=shown, total=len(found))


@router.post("", summary="Create a dashboard", response_model=dto.DashboardDto, openapi_extra=YAML_BODY)
def create(ctx: Ctx, by: Acting, source: Source) -> dto.DashboardDto:
    """Store a new dashboard from its YAML: 422 with the line and path of each problem, 409 when its id is taken."""
    saved = service.create(ctx.store, source, by=by, now=ctx.clock())
    return _dto(saved.record, saved.dashboard)


@router.post("/validate", summary="Validate a dashboard", response_model=dto.ValidateResult, openapi_extra=YAML_BODY)
def validate(source: Source) -> dto.ValidateResult:
    """Check a dashboard's YAML without storing it: `constraints` and located `details` when it is invalid."""
    try:
        service.validate(source)
    except FlowValidationError as exc:
        return dto.ValidateResult(index=0, constraints=str(exc), details=[problem_detail(p) for p in exc.problems])
    return dto.ValidateResult(index=0)


@router.post("/charts/preview", summary="Rows of a chart not saved yet", response_model=dto.Paged[dict[str, object]])
def preview(ctx: Ctx, by: Acting, request: dto.ChartPreviewRequest) -> dto.Paged[dict[str, object]]:
    """The rows of the chart written in `chart` (YAML) for [startDate, endDate] (at most 366 days): what the editor
    shows before saving; 422 with the line and path of each problem of the chart."""
    limit, offset = _page(request)
    try:
        _, page = service.preview(ctx.store, request.chart, _utc(request.start_date), _utc(request.end_date), by=by,
                                  limit=limit, offset=offset)
    except service.ChartRequestError as exc:
        raise bad_request(str(exc)) from None
    return dto.Paged[dict[str, object]](results=page.rows, total=page.total)


def _page(request: dto.ChartRequest) -> tuple[int, int]:
    if request.page_size is None:
        return 1000, 0
    return request.page_size, ((request.page_number or 1) - 1) * request.page_size


@router.get("/{id}", summary="Get a dashboard", response_model=dto.DashboardDto)
def get(ctx: Ctx, by: Acting, id: DashboardId) -> dto.DashboardDto:
    """One dashboard: its YAML source and what it parses to (`default` is the built-in one unless replaced)."""
    record, dashboard = service.get(ctx.store, id, by=by)
    return _dto(record, dashboard)


@router.put("/{id}", summary="Update a dashboard", response_model=dto.DashboardDto, openapi_extra=YAML_BODY)
def update(ctx: Ctx, by: Acting, id: DashboardId, source: Source) -> dto.DashboardDto:
    """Replace a dashboard's YAML (422 when invalid, 404 when there is no such dashboard)."""
    saved = service.update(ctx.store, id, source, by=by, now=ctx.clock())
    return _dto(saved.record, saved.dashboard)


@router.delete("/{id}", summary="Delete a dashboard", status_code=204, response_class=Response)
def delete(ctx: Ctx, by: Acting, id: DashboardId) -> Response:
    """Remove a dashboard (deleting `default` brings the built-in one back)."""
    service.delete(ctx.store, id, by=by, now=ctx.clock())
    return Response(status_code=204)


@router.post("/{id}/charts/{chartId}", summary="Rows of a chart", response_model=dto.Paged[dict[str, object]])
def chart(ctx: Ctx, by: Acting, id: DashboardId, chartId: ChartId,
          request: dto.ChartRequest) -> dto.Paged[dict[str, object]]:
    """The rows of one chart for [startDate, endDate], each keyed by the chart's column names (a KPI: `value`,
    with `numerator` and `denominator` for a ratio), over the namespaces the caller may see."""
    limit, offset = _page(request)
    try:
        _, page = service.chart_rows(ctx.store, id, chartId, _utc(request.start_date), _utc(request.end_date),
                                     by=by, limit=limit, offset=offset)
    except service.ChartRequestError as exc:
        raise bad_request(str(exc)) from None
    return dto.Paged[dict[str, object]](results=page.rows, total=page.total)


@router.post("/{id}/charts/{chartId}/export/to-csv", summary="Export a chart's rows as CSV", response_class=Response,
             responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
def export_csv(ctx: Ctx, by: Acting, id: DashboardId, chartId: ChartId, request: dto.ChartRequest) -> Response:
    """Every row of one chart for [startDate, endDate] (at most 10,000) as a CSV file with a header line."""
    try:
        text = service.export_csv(ctx.store, id, chartId, _utc(request.start_date), _utc(request.end_date), by=by)
    except service.ChartRequestError as exc:
        raise bad_request(str(exc)) from None
    return Response(text, media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{id}-{chartId}.csv"'})
