import { useQuery } from "@tanstack/react-query";
import { chartCsv, chartRows, previewChartRows, type ChartRow } from "../api/dashboards";
import { arc, columnsOf, kind, label, series, text, type ChartDef } from "../lib/charts";
import { Markdown } from "./Markdown";
import { ErrorMessage } from "./Messages";

const PALETTE = ["#2f6fde", "#1f9d55", "#d64545", "#c98a00", "#7a4fd6", "#0f8f8f", "#b84f9a", "#6b7280"];
const STATE_COLORS: Record<string, string> = {
  SUCCESS: "#1f9d55", FAILED: "#d64545", WARNING: "#c98a00", RUNNING: "#2f6fde", KILLED: "#6b7280",
  CREATED: "#7a4fd6", QUEUED: "#0f8f8f", PAUSED: "#b84f9a",
};
const colour = (name: string, i: number) => STATE_COLORS[name] ?? PALETTE[i % PALETTE.length]!;

/** One chart of a custom dashboard: its rows fetched for [start, end] and drawn by its type. A `preview` is the
 * YAML of a chart not saved yet (the dashboard editor's): its rows come from the server all the same, without CSV. */
export function ChartView({ dashboardId, chart, start, end, heading = "h2", preview }:
  { dashboardId: string; chart: ChartDef; start: Date; end: Date; heading?: "h2" | "h3"; preview?: string }) {
  const Heading = heading;
  const type = kind(chart);
  const title = chart.chartOptions?.displayName ?? chart.id;
  const width = Math.min(12, Math.max(1, chart.chartOptions?.width ?? (type === "KPI" ? 3 : 6)));
  const rows = useQuery({
    queryKey: preview === undefined
      ? ["dashboard-chart", dashboardId, chart.id, start.toISOString(), end.toISOString()]
      : ["dashboard-chart-preview", preview, start.toISOString(), end.toISOString()],
    queryFn: () => (preview === undefined ? chartRows(dashboardId, chart.id, start, end) : previewChartRows(preview, start, end)),
    enabled: type !== "Markdown",
  });
  const download = async () => {
    const blob = await chartCsv(dashboardId, chart.id, start, end);
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `${dashboardId}-${chart.id}.csv`;
    link.click();
    URL.revokeObjectURL(link.href);
  };
  return (
    <section className="card dash-chart" style={{ gridColumn: `span ${width}` }} aria-label={title} data-chart={chart.id}>
      <div className="dash-chart-head">
        <Heading>{title}</Heading>
        {type !== "Markdown" && type !== "KPI" && preview === undefined && (
          <button type="button" className="ghost" onClick={download} aria-label={`Export ${title} as CSV`}>CSV</button>
        )}
      </div>
      {chart.chartOptions?.description && <p className="muted">{chart.chartOptions.description}</p>}
      {type === "Markdown" && <Markdown text={markdownOf(chart)} />}
      {rows.isError && <ErrorMessage error={rows.error} />}
      {rows.isPending && type !== "Markdown" && <p role="status">Loading…</p>}
      {rows.data && rows.data.results.length === 0 && type !== "KPI" && <p className="muted">No data in this range.</p>}
      {rows.data && (rows.data.results.length > 0 || type === "KPI") && <Draw chart={chart} type={type} rows={rows.data.results} />}
    </section>
  );
}

function markdownOf(chart: ChartDef): string {
  if (chart.content) return chart.content;
  if (chart.source?.content) return chart.source.content;
  if (chart.source?.type === "FlowDescription") return `The description of flow \`${chart.source.namespace}.${chart.source.flowId}\`.`;
  return "";
}

function Draw({ chart, type, rows }: { chart: ChartDef; type: string; rows: ChartRow[] }) {
  switch (type) {
    case "KPI":
      return <Kpi chart={chart} row={rows[0] ?? {}} />;
    case "Pie":
      return <Pie chart={chart} rows={rows} />;
    case "Bar":
    case "TimeSeries":
      return <Bars chart={chart} rows={rows} />;
    default:
      return <Table chart={chart} rows={rows} />;
  }
}

function Kpi({ chart, row }: { chart: ChartDef; row: ChartRow }) {
  const value = row.value;
  const percent = chart.chartOptions?.numberType === "PERCENTAGE";
  const shown = value === null || value === undefined ? "—"
    : percent ? `${(Number(value) * (row.denominator !== undefined ? 100 : 1)).toFixed(1)} %` : text(value);
  return (
    <p className="dash-kpi" data-testid={`kpi-${chart.id}`}>
      {shown}
      {row.denominator !== undefined && <span className="muted"> ({text(row.numerator)} of {text(row.denominator)})</span>}
    </p>
  );
}

function Pie({ chart, rows }: { chart: ChartDef; rows: ChartRow[] }) {
  const cols = columnsOf(chart);
  const measure = cols.find(([, c]) => c.agg)?.[0] ?? "";
  const key = chart.chartOptions?.colorByColumn ?? cols.find(([, c]) => !c.agg)?.[0] ?? "";
  const total = rows.reduce((sum, r) => sum + Number(r[measure] ?? 0), 0) || 1;
  const inner = chart.chartOptions?.graphStyle === "PIE" ? 0 : 45;
  let angle = 0;
  return (
    <div className="dash-pie">
      <svg role="img" aria-label={`${chart.chartOptions?.displayName ?? chart.id}: ${rows.map((r) => `${text(r[key])} ${text(r[measure])}`).join(", ")}`} viewBox="0 0 200 200">
        {rows.map((r, i) => {
          const share = (Number(r[measure] ?? 0) / total) * 2 * Math.PI;
          const path = arc(100, 100, 90, inner, angle, angle + share);
          angle += share;
          return <path key={i} d={path} fill={colour(text(r[key]), i)}><title>{`${text(r[key])}: ${text(r[measure])}`}</title></path>;
        })}
      </svg>
      <ul className="dash-legend">
        {rows.map((r, i) => (
          <li key={i}><span className="dash-swatch" style={{ background: colour(text(r[key]), i) }} />{text(r[key])}: {text(r[measure])}</li>
        ))}
      </ul>
    </div>
  );
}

function Bars({ chart, rows }: { chart: ChartDef; rows: ChartRow[] }) {
  const { xs, series: all } = series(chart, rows);
  const bars = all.filter((s) => s.style === "BARS");
  const lines = all.filter((s) => s.style !== "BARS");
  const stackMax = Math.max(1, ...xs.map((x) => bars.reduce((sum, s) => sum + (s.values.get(x) ?? 0), 0)));
  const lineMax = Math.max(1, ...lines.flatMap((s) => [...s.values.values()]));
  const width = 600, height = 200, step = width / Math.max(1, xs.length), barWidth = Math.max(2, step - 4);
  const y = (v: number, max: number) => height - (v / max) * height;
  return (
    <>
      <svg role="img" aria-label={`${chart.chartOptions?.displayName ?? chart.id} over ${xs.length} values`} viewBox={`0 0 ${width} ${height + 20}`} className="dash-bars">
        {xs.map((x, i) => {
          let offset = 0;
          return (
            <g key={x}>
              {bars.map((s, j) => {
                const v = s.values.get(x) ?? 0;
                const top = y(offset + v, stackMax);
                const rect = <rect key={s.name} x={i * step + 2} y={top} width={barWidth} height={height - y(v, stackMax)} fill={colour(s.name, j)}><title>{`${x} · ${s.name}: ${text(v)}`}</title></rect>;
                offset += v;
                return rect;
              })}
            </g>
          );
        })}
        {lines.map((s, j) => (
          <polyline key={s.name} fill="none" stroke={colour(s.name, j + bars.length)} strokeWidth={2}
            points={xs.map((x, i) => `${i * step + step / 2},${y(s.values.get(x) ?? 0, lineMax)}`).join(" ")} />
        ))}
        <text x={0} y={height + 15} className="axis">{xs[0]}</text>
        <text x={width} y={height + 15} className="axis end">{xs.length > 1 ? xs[xs.length - 1] : ""}</text>
      </svg>
      <ul className="dash-legend">
        {[...bars, ...lines].map((s, j) => <li key={s.name}><span className="dash-swatch" style={{ background: colour(s.name, j) }} />{s.name}</li>)}
      </ul>
      <details>
        <summary>As a table</summary>
        <Table chart={chart} rows={rows} />
      </details>
    </>
  );
}

function Table({ chart, rows }: { chart: ChartDef; rows: ChartRow[] }) {
  const cols = columnsOf(chart);
  // focusable: on a narrow screen the table scrolls in its own box, and its cells hold no link to scroll it by
  return (
    <table className="list" tabIndex={0}>
      <thead><tr>{cols.map(([key, c]) => <th key={key} scope="col">{label(key, c)}</th>)}</tr></thead>
      <tbody>
        {rows.map((r, i) => <tr key={i}>{cols.map(([key]) => <td key={key}>{text(r[key])}</td>)}</tr>)}
      </tbody>
    </table>
  );
}
