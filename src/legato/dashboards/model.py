"""Kestra's dashboard YAML as frozen pydantic models: a title, a time window and charts, each chart a type,
display options and (but Markdown) the data it queries: a source, named columns, filters and an order."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator
from pydantic.alias_generators import to_camel

from legato.model.durations import parse_duration

Agg = Literal["AVG", "MAX", "MIN", "SUM", "COUNT"]
FilterType = Literal["CONTAINS", "ENDS_WITH", "EQUAL_TO", "GREATER_THAN", "GREATER_THAN_OR_EQUAL_TO", "IN",
                     "IS_FALSE", "IS_NOT_NULL", "IS_NULL", "IS_TRUE", "LESS_THAN", "LESS_THAN_OR_EQUAL_TO",
                     "NOT_EQUAL_TO", "NOT_IN", "OR", "REGEX", "STARTS_WITH"]
Scalar = str | int | float | bool
ID_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$"
MAX_WINDOW = timedelta(days=366)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)


class Column(_Model):
    """One column of a chart's rows: a field of the source, or an aggregation (`agg`) of one."""

    field: str | None = Field(default=None, description="The source's field (ID, NAMESPACE, STATE, ...).")
    agg: Agg | None = Field(default=None, description="Aggregate the rows of each group: AVG, MAX, MIN, SUM, COUNT.")
    display_name: str | None = Field(default=None, description="The column's label in the chart.")
    label_key: str | None = Field(default=None, description="With field LABELS: which label's value.")
    graph_style: Literal["LINES", "BARS", "POINTS"] | None = Field(default=None,
                                                                    description="TimeSeries: how the series is drawn.")
    column_alignment: Literal["LEFT", "RIGHT", "CENTER"] | None = Field(default=None, description="Table alignment.")


class Filter(_Model):
    """A condition on one field (`OR`: any of `values`, each a filter)."""

    type: FilterType = Field(description="The comparison.")
    field: str | None = Field(default=None, description="The source's field compared.")
    value: Scalar | None = Field(default=None, description="The value compared with (most types).")
    values: list[Any] | None = Field(default=None, description="IN / NOT_IN: the values; OR: the filters.")
    label_key: str | None = Field(default=None, description="With field LABELS: which label.")


class OrderBy(_Model):
    column: str = Field(description="A key of `columns`.")
    order: Literal["ASC", "DESC"] = "ASC"


# the tags pydantic puts in an error's path for the two forms of `columns` (legato.dashboards.parse drops them)
MAP_FORM, ONE_FORM = "columns-map", "columns-one"


def _columns_form(value: Any) -> str:
    """A map of names to columns (every value a map), or one column (a KPI's)."""
    if isinstance(value, dict) and value and all(isinstance(v, dict | Column) for v in value.values()):
        return MAP_FORM
    return ONE_FORM


Columns = Annotated[Annotated[dict[str, Column], Tag(MAP_FORM)] | Annotated[Column, Tag(ONE_FORM)],
                    Discriminator(_columns_form)]


class Data(_Model):
    """What a chart queries."""

    type: str = Field(description="The data source: io.kestra.plugin.core.dashboard.data.Executions, ...")
    columns: Columns = Field(description="Named columns (a KPI: one column).")
    where: list[Filter] = Field(default_factory=list, description="Conditions every row meets (AND).")
    order_by: list[OrderBy] = Field(default_factory=list, description="Sort of the rows.")
    numerator: list[Filter] | None = Field(default=None, description="KPI: the rows counted in the ratio's top.")


class Legend(_Model):
    enabled: bool = True


class Toggle(_Model):
    enabled: bool = True


class ChartOptions(_Model):
    """How a chart is shown (each chart type reads the options it knows)."""

    display_name: str | None = None
    description: str | None = None
    width: int | None = Field(default=None, ge=1, le=12, description="Columns of a 12-column grid.")
    legend: Legend | None = None
    tooltip: Literal["NONE", "ALL", "SINGLE"] | None = None
    column: str | None = Field(default=None, description="Bar / TimeSeries: the key of the x axis column.")
    color_by_column: str | None = None
    graph_style: Literal["PIE", "DONUT"] | None = None
    number_type: Literal["FLAT", "PERCENTAGE"] | None = None
    header: Toggle | None = None
    pagination: Toggle | None = None


class MarkdownSource(_Model):
    type: Literal["Text", "FlowDescription"] = "Text"
    content: str | None = None
    namespace: str | None = None
    flow_id: str | None = None


class Chart(_Model):
    id: str = Field(pattern=ID_PATTERN, max_length=100, description="Unique in the dashboard.")
    type: str = Field(description="io.kestra.plugin.core.dashboard.chart.Bar, Pie, TimeSeries, Table, KPI, Markdown.")
    chart_options: ChartOptions = Field(default_factory=ChartOptions)
    data: Data | None = None
    content: str | None = Field(default=None, description="Markdown: the text.")
    source: MarkdownSource | None = Field(default=None, description="Markdown: where the text comes from.")


class TimeWindow(_Model):
    default: str = Field(default="P30D", description="ISO-8601 duration shown first.")
    max: str = Field(default="P366D", description="ISO-8601 duration: the widest range a chart may be asked for.")

    @field_validator("default", "max")
    @classmethod
    def _duration(cls, value: str) -> str:
        span = parse_duration(value)
        if span <= timedelta(0) or span > MAX_WINDOW:
            raise ValueError("a time window is a positive duration of at most 366 days (P366D)")
        return value

    @property
    def default_span(self) -> timedelta:
        return parse_duration(self.default)

    @property
    def max_span(self) -> timedelta:
        return parse_duration(self.max)


class Dashboard(_Model):
    id: str | None = Field(default=None, pattern=ID_PATTERN, max_length=100,
                           description="The dashboard's id (made from the title when absent).")
    title: str = Field(min_length=1, max_length=255)
    description: str | None = None
    time_window: TimeWindow = Field(default_factory=TimeWindow)
    charts: list[Chart] = Field(default_factory=list)

    def chart(self, chart_id: str) -> Chart | None:
        return next((c for c in self.charts if c.id == chart_id), None)
