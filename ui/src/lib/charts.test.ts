import { describe, expect, it } from "vitest";
import { arc, columnsOf, hoursOf, kind, series, text, type ChartDef } from "./charts";

const timeSeries: ChartDef = {
  id: "per_day",
  type: "io.kestra.plugin.core.dashboard.chart.TimeSeries",
  chartOptions: { column: "date", colorByColumn: "state" },
  data: {
    type: "io.kestra.plugin.core.dashboard.data.Executions",
    columns: { date: { field: "START_DATE" }, state: { field: "STATE" }, total: { agg: "COUNT" } },
  },
};

describe("dashboard charts", () => {
  it("names the chart type and its columns (a KPI's one column is value)", () => {
    expect(kind(timeSeries)).toBe("TimeSeries");
    expect(columnsOf(timeSeries).map(([k]) => k)).toEqual(["date", "state", "total"]);
    const kpi: ChartDef = { id: "k", type: "KPI", data: { type: "ExecutionsKPI", columns: { field: "ID", agg: "COUNT" } } };
    expect(columnsOf(kpi)).toEqual([["value", { field: "ID", agg: "COUNT" }]]);
  });

  it("splits an aggregated column into one series per value of the colour column", () => {
    const rows = [
      { date: "2025-03-01T00:00:00+00:00", state: "SUCCESS", total: 3 },
      { date: "2025-03-01T00:00:00+00:00", state: "FAILED", total: 1 },
      { date: "2025-03-02T00:00:00+00:00", state: "SUCCESS", total: 2 },
    ];
    const { xs, series: all } = series(timeSeries, rows);
    expect(xs).toEqual(["2025-03-01", "2025-03-02"]);
    expect(all.map((s) => [s.name, [...s.values.entries()]])).toEqual([
      ["SUCCESS", [["2025-03-01", 3], ["2025-03-02", 2]]],
      ["FAILED", [["2025-03-01", 1]]],
    ]);
  });

  it("shows values shortly and draws closed arcs", () => {
    expect(text(null)).toBe("—");
    expect(text(2.5)).toBe("2.50");
    expect(text("2025-03-01T13:05:00+00:00")).toBe("2025-03-01 13:05");
    expect(arc(100, 100, 90, 0, 0, Math.PI)).toMatch(/^M 100 10 A 90 90 0 0 1 /);
    expect(arc(100, 100, 90, 45, 0, 2 * Math.PI)).toMatch(/Z$/);
    expect([hoursOf("P7D"), hoursOf("PT12H"), hoursOf("P1DT2H"), hoursOf("P1M")]).toEqual([168, 12, 26, 168]);
  });
});
