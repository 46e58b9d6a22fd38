// A dashboard's YAML being written: the editor with the server's checks at their lines while typing, and, once the
// YAML is valid, its charts drawn from real rows as they will look saved. Save and Cancel are the page's.
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { parse, stringify } from "yaml";
import { validateDashboard } from "../api/dashboards";
import { useDebounced } from "../lib/useDebounced";
import { hoursOf, type ChartDef } from "../lib/charts";
import { problemsOf } from "../editor/markers";
import { ChartView } from "./ChartView";
import { Problems, YamlEditor, detailsOf } from "./YamlEditor";

const CHECK_DELAY = 400; // ms after the last key

interface Parsed { charts: ChartDef[]; hours: number }

function chartsOf(source: string): Parsed | null {
  try {
    const doc = parse(source) as { charts?: ChartDef[]; timeWindow?: { default?: string } } | null;
    return { charts: doc?.charts ?? [], hours: hoursOf(doc?.timeWindow?.default ?? "P7D") };
  } catch {
    return null;
  }
}

export function DashboardDraft({ label, uri, initial, saving, saveError, onSave, onCancel }: {
  label: string; uri: string; initial: string; saving: boolean; saveError: unknown;
  onSave: (source: string) => void; onCancel: () => void;
}) {
  const [source, setSource] = useState(initial);
  const checked = useDebounced(source, CHECK_DELAY);
  const check = useQuery({
    queryKey: ["dashboard-validate", checked],
    queryFn: ({ signal }) => validateDashboard(checked, signal),
    staleTime: Infinity,
  });
  const problems = check.data ? problemsOf([check.data]) : [];
  const valid = check.data !== undefined && problems.length === 0;
  const parsed = useMemo(() => (valid ? chartsOf(checked) : null), [valid, checked]);
  const [end] = useState(() => new Date());
  const start = new Date(end.getTime() - (parsed?.hours ?? 0) * 3_600_000);
  // A refused save speaks for the text it was given; once edited, the live checks do again.
  const [sent, setSent] = useState<string | null>(null);
  const refused = saveError && sent === source ? saveError : null;
  const marked = refused ? detailsOf(refused) : problems;
  return (
    <div className="card">
      <YamlEditor label={label} uri={uri} value={source} onChange={setSource} problems={marked} />
      {problems.length > 0 && !refused && (
        <ul className="problems" aria-label="Checks">
          {problems.map((p, i) => <li key={i}>{p.line ? `line ${p.line}: ` : ""}{p.path}: {p.message}</li>)}
        </ul>
      )}
      <Problems error={refused} />
      <div className="actions">
        <button type="button" onClick={() => { setSent(source); onSave(source); }} disabled={saving}>Save</button>
        <button type="button" className="ghost" onClick={onCancel}>Cancel</button>
      </div>
      {parsed && (
        <section aria-label="Preview of the charts">
          <h2>Preview</h2>
          <div className="dash-grid">
            {parsed.charts.map((chart) => (
              <ChartView key={chart.id} dashboardId="" chart={chart} start={start} end={end} heading="h3"
                preview={stringify(chart)} />
            ))}
          </div>
        </section>
      )}
    </div>
  );
}
