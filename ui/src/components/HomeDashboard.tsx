import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { getDashboard } from "../api/dashboards";
import type { ChartDef } from "../lib/charts";
import { hoursOf } from "../lib/charts";
import { ChartView } from "./ChartView";
import "../pages.css";

/** The `default` dashboard (built in, or the one saved with that id) on the home page, over its default range. */
export default function HomeDashboard() {
  const dashboard = useQuery({ queryKey: ["dashboard", "default"], queryFn: () => getDashboard("default"), retry: false });
  const [end] = useState(() => new Date());
  if (!dashboard.data) return null;  // no permission to view dashboards, or none: the page stays as it is
  const d = dashboard.data;
  const start = new Date(end.getTime() - hoursOf(d.timeWindow.default) * 3_600_000);
  return (
    <section aria-label="Overview dashboard" className="home-dashboard">
      <div className="page-head">
        <h2>{d.title}</h2>
        <Link to="/dashboards/default">Open</Link>
      </div>
      <div className="dash-grid">
        {(d.charts as unknown as ChartDef[]).map((chart) => (
          <ChartView key={chart.id} dashboardId={d.id} chart={chart} start={start} end={end} heading="h3" />
        ))}
      </div>
    </section>
  );
}
