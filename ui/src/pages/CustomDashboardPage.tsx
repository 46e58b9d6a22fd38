import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate, useParams, useSearchParams } from "react-router";
import { deleteDashboard, getDashboard, updateDashboard } from "../api/dashboards";
import { ConfirmButton } from "../components/admin/common";
import { ChartView } from "../components/ChartView";
import { DashboardDraft } from "../components/DashboardDraft";
import { Problems } from "../components/YamlEditor";
import { ErrorMessage, Loading } from "../components/Messages";
import { hoursOf, type ChartDef } from "../lib/charts";
import { canOnInstance, useMe } from "../lib/permissions";
import "../pages.css";

const RANGES: [string, number][] = [["Last hour", 1], ["Last 24 hours", 24], ["Last 7 days", 24 * 7],
  ["Last 30 days", 24 * 30], ["Last 90 days", 24 * 90], ["Last 365 days", 24 * 365]];

/** One custom dashboard: its charts for a time range (in the URL), and its YAML to edit or delete. */
export default function CustomDashboardPage() {
  const { dashboardId = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const me = useMe();
  const client = useQueryClient();
  const navigate = useNavigate();
  const dashboard = useQuery({ queryKey: ["dashboard", dashboardId], queryFn: () => getDashboard(dashboardId) });
  const [source, setSource] = useState<string | null>(null);
  const [end] = useState(() => new Date());
  const save = useMutation({
    mutationFn: (yaml: string) => updateDashboard(dashboardId, yaml),
    onSuccess: (saved) => {
      client.setQueryData(["dashboard", dashboardId], saved);
      void client.invalidateQueries({ queryKey: ["dashboard-chart", dashboardId] });
      setSource(null);
    },
  });
  const remove = useMutation({
    mutationFn: () => deleteDashboard(dashboardId),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ["dashboards"] });
      navigate("/dashboards");
    },
  });
  if (dashboard.isError) return <ErrorMessage error={dashboard.error} />;
  if (!dashboard.data) return <Loading what="the dashboard" />;
  const d = dashboard.data;
  const hours = Number(params.get("hours")) || hoursOf(d.timeWindow.default);
  const start = new Date(end.getTime() - hours * 3_600_000);
  const maxHours = hoursOf(d.timeWindow.max);
  return (
    <section>
      <div className="page-head">
        <h1>{d.title}</h1>
        <label className="inline">
          Period{" "}
          <select value={hours} onChange={(e) => setParams({ hours: e.target.value }, { replace: true })}>
            {RANGES.filter(([, h]) => h <= maxHours || h === hours).map(([name, h]) => <option key={h} value={h}>{name}</option>)}
            {!RANGES.some(([, h]) => h === hours) && <option value={hours}>Last {hours} hours</option>}
          </select>
        </label>
        {source === null && canOnInstance(me, "DASHBOARD:UPDATE") && (
          <button type="button" onClick={() => setSource(d.sourceCode ?? "")}>Edit</button>
        )}
        {canOnInstance(me, "DASHBOARD:DELETE") && d.updated && (
          <ConfirmButton label="Delete" what={`dashboard ${d.title}`} onConfirm={() => remove.mutate()} />
        )}
      </div>
      {d.description && <p className="muted">{d.description}</p>}
      {source !== null && (
        <DashboardDraft label="Dashboard YAML" uri={`file:///legato-dashboards/${encodeURIComponent(d.id)}.yaml`}
          initial={source} saving={save.isPending} saveError={save.error} onSave={(yaml) => save.mutate(yaml)}
          onCancel={() => { setSource(null); save.reset(); }} />
      )}
      <Problems error={remove.error} />
      <div className="dash-grid">
        {(d.charts as unknown as ChartDef[]).map((chart) => (
          <ChartView key={`${chart.id}-${d.updated}`} dashboardId={d.id} chart={chart} start={start} end={end} />
        ))}
      </div>
    </section>
  );
}
