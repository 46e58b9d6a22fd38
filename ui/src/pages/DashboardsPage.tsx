import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { createDashboard, listDashboards } from "../api/dashboards";
import { DashboardDraft } from "../components/DashboardDraft";
import { ErrorMessage, Loading } from "../components/Messages";
import { canOnInstance, useMe } from "../lib/permissions";
import "../pages.css";
import { formatDate } from "../components/StateBadge";

export const EXAMPLE = `title: Operations
description: Executions of the last days
timeWindow:
  default: P7D
  max: P366D
charts:
  - id: per_day
    type: io.kestra.plugin.core.dashboard.chart.TimeSeries
    chartOptions:
      displayName: Executions per day
      column: date
      colorByColumn: state
    data:
      type: io.kestra.plugin.core.dashboard.data.Executions
      columns:
        date:
          field: START_DATE
        state:
          field: STATE
        total:
          agg: COUNT
  - id: success_ratio
    type: io.kestra.plugin.core.dashboard.chart.KPI
    chartOptions:
      displayName: Success ratio
      numberType: PERCENTAGE
    data:
      type: io.kestra.plugin.core.dashboard.data.ExecutionsKPI
      columns:
        field: ID
        agg: COUNT
      numerator:
        - field: STATE
          type: EQUAL_TO
          value: SUCCESS
`;

/** The custom dashboards, and a YAML editor to create one. */
export default function DashboardsPage() {
  const me = useMe();
  const list = useQuery({ queryKey: ["dashboards"], queryFn: listDashboards });
  const [source, setSource] = useState<string | null>(null);
  const client = useQueryClient();
  const navigate = useNavigate();
  const create = useMutation({
    mutationFn: (yaml: string) => createDashboard(yaml),
    onSuccess: (saved) => {
      void client.invalidateQueries({ queryKey: ["dashboards"] });
      navigate(`/dashboards/${encodeURIComponent(saved.id)}`);
    },
  });
  return (
    <section>
      <div className="page-head">
        <h1>Dashboards</h1>
        {source === null && canOnInstance(me, "DASHBOARD:CREATE") && (
          <button type="button" onClick={() => setSource(EXAMPLE)}>New dashboard</button>
        )}
      </div>
      {source !== null && (
        <DashboardDraft label="New dashboard YAML" uri="file:///legato-dashboards/new.yaml" initial={source}
          saving={create.isPending} saveError={create.error} onSave={(yaml) => create.mutate(yaml)}
          onCancel={() => { setSource(null); create.reset(); }} />
      )}
      {list.isError && <ErrorMessage error={list.error} />}
      {list.isPending && <Loading what="dashboards" />}
      {list.data && list.data.total === 0 && <p className="muted">No custom dashboard yet. The <Link to="/dashboard">overview</Link> shows every execution.</p>}
      {list.data && list.data.total > 0 && (
        <table className="list">
          <caption className="sr-only">Dashboards</caption>
          <thead><tr><th scope="col">Title</th><th scope="col">Description</th><th scope="col">Charts</th><th scope="col">Updated</th></tr></thead>
          <tbody>
            {list.data.results.map((d) => (
              <tr key={d.id}>
                <td><Link to={`/dashboards/${encodeURIComponent(d.id)}`}>{d.title}</Link></td>
                <td>{d.description ?? ""}</td>
                <td>{d.charts.length}</td>
                <td>{d.updated ? formatDate(d.updated) : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
