// Pure helpers of the dashboard charts: which columns a chart's rows hold, series for bars and lines, pie arcs.
import type { ChartRow } from "../api/dashboards";

export interface ColumnDef {
  field?: string;
  agg?: string;
  displayName?: string;
  graphStyle?: string;
}

export interface ChartDef {
  id: string;
  type: string;
  chartOptions?: { displayName?: string; description?: string; width?: number; column?: string;
    colorByColumn?: string; numberType?: string; graphStyle?: string; legend?: { enabled?: boolean } };
  data?: { type: string; columns: Record<string, ColumnDef> | ColumnDef };
  content?: string;
  source?: { type?: string; content?: string; namespace?: string; flowId?: string };
}

/** The short chart type: "io.kestra.plugin.core.dashboard.chart.Bar" → "Bar". */
export const kind = (chart: ChartDef): string => chart.type.split(".").pop() ?? chart.type;

/** The named columns of a data chart (a KPI's one column is "value"). */
export function columnsOf(chart: ChartDef): [string, ColumnDef][] {
  const columns = chart.data?.columns;
  if (!columns) return [];
  if (typeof (columns as ColumnDef).agg === "string" || typeof (columns as ColumnDef).field === "string") {
    return [["value", columns as ColumnDef]];
  }
  return Object.entries(columns as Record<string, ColumnDef>);
}

export const label = (key: string, column?: ColumnDef): string => column?.displayName ?? key;

export interface Series {
  name: string;
  values: Map<string, number>;
  style: string;
}

/** Rows → x categories (in row order) and one series per aggregated column and per value of the colour column. */
export function series(chart: ChartDef, rows: ChartRow[]): { xs: string[]; series: Series[] } {
  const cols = columnsOf(chart);
  const x = chart.chartOptions?.column ?? cols.find(([, c]) => !c.agg)?.[0];
  const measures = cols.filter(([, c]) => c.agg);
  const color = chart.chartOptions?.colorByColumn ?? cols.find(([k, c]) => !c.agg && k !== x)?.[0];
  const xs: string[] = [];
  const out = new Map<string, Series>();
  for (const row of rows) {
    const xv = text(x ? row[x] : "");
    if (!xs.includes(xv)) xs.push(xv);
    for (const [key, col] of measures) {
      const split = color && color !== x ? text(row[color]) : "";
      const name = measures.length > 1 || !split ? (split ? `${label(key, col)} ${split}` : label(key, col)) : split;
      const s = out.get(name) ?? { name, values: new Map(), style: col.graphStyle ?? "BARS" };
      s.values.set(xv, (s.values.get(xv) ?? 0) + Number(row[key] ?? 0));
      out.set(name, s);
    }
  }
  return { xs, series: [...out.values()] };
}

/** A value as shown: dates shortened, numbers rounded, nothing as "—". */
export function text(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toFixed(2);
  const s = String(value);
  return /^\d{4}-\d{2}-\d{2}T00:00:00/.test(s) ? s.slice(0, 10) : /^\d{4}-\d{2}-\d{2}T/.test(s) ? s.slice(0, 16).replace("T", " ") : s;
}

/** SVG path of a pie (or donut, with `inner` > 0) slice from angle a0 to a1 (radians, 0 at the top). */
export function arc(cx: number, cy: number, r: number, inner: number, a0: number, a1: number): string {
  const at = (radius: number, a: number) => `${cx + radius * Math.sin(a)} ${cy - radius * Math.cos(a)}`;
  const large = a1 - a0 > Math.PI ? 1 : 0;
  if (a1 - a0 >= 2 * Math.PI - 1e-9) a1 = a0 + 2 * Math.PI - 1e-4;
  return `M ${at(r, a0)} A ${r} ${r} 0 ${large} 1 ${at(r, a1)} L ${at(inner, a1)} A ${inner} ${inner} 0 ${large} 0 ${at(inner, a0)} Z`;
}

/** An ISO-8601 days/hours duration ("P7D", "PT24H", "P1DT12H") in hours; a week when it cannot be read. */
export function hoursOf(duration: string): number {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?)?$/.exec(duration);
  const hours = m ? Number(m[1] ?? 0) * 24 + Number(m[2] ?? 0) : 0;
  return hours || 24 * 7;
}
