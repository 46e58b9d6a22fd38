// The REST API calls of custom dashboards: their YAML, and the rows of one chart for a time range.
import { request } from "./client";
import type { Paged, ValidateResult } from "./models";
import type { components } from "./types";

const enc = encodeURIComponent;
const yaml = (method: string, source: string): RequestInit => ({
  method, body: source, headers: { "Content-Type": "application/x-yaml" },
});

export type Dashboard = components["schemas"]["DashboardDto"];
export type ChartRow = Record<string, unknown>;

export const listDashboards = (): Promise<Paged<Dashboard>> => request("/dashboards?size=1000");
export const getDashboard = (id: string): Promise<Dashboard> => request(`/dashboards/${enc(id)}`);
export const createDashboard = (source: string): Promise<Dashboard> => request("/dashboards", yaml("POST", source));
export const updateDashboard = (id: string, source: string): Promise<Dashboard> =>
  request(`/dashboards/${enc(id)}`, yaml("PUT", source));
export const deleteDashboard = (id: string): Promise<void> => request(`/dashboards/${enc(id)}`, { method: "DELETE" });

const range = (start: Date, end: Date) => ({
  method: "POST", headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ startDate: start.toISOString(), endDate: end.toISOString() }),
});

export const chartRows = (id: string, chartId: string, start: Date, end: Date): Promise<Paged<ChartRow>> =>
  request(`/dashboards/${enc(id)}/charts/${enc(chartId)}`, range(start, end));

export const chartCsv = (id: string, chartId: string, start: Date, end: Date): Promise<Blob> =>
  request(`/dashboards/${enc(id)}/charts/${enc(chartId)}/export/to-csv`, range(start, end), "blob");

/** A dashboard's YAML checked without storing it: its problems, located, in `details`. */
export const validateDashboard = (source: string, signal?: AbortSignal): Promise<ValidateResult> =>
  request("/dashboards/validate", { ...yaml("POST", source), signal });

/** The rows of a chart not saved yet (its YAML) for [start, end]. */
export const previewChartRows = (chart: string, start: Date, end: Date): Promise<Paged<ChartRow>> => {
  const body = { startDate: start.toISOString(), endDate: end.toISOString(), chart };
  return request("/dashboards/charts/preview", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
};
