// Browser scenario of custom dashboards: create one from YAML (a mistake shown at its line first), see its
// charts drawn from real executions, export a chart as CSV, edit the YAML, delete it. Run by browser.mjs.
import { readFileSync } from "node:fs";
import { checkPages } from "./a11y_scenarios.mjs";
import { setSource } from "./editor_scenarios.mjs";
import { api, check, uid } from "./support.mjs";

async function runToEnd(base, ns, id) {
  const created = await api(base, "POST", `/executions/${ns}/${id}`);
  for (let i = 0; i < 300; i++) {
    const x = await api(base, "GET", `/executions/${created.id}`);
    if (["SUCCESS", "FAILED", "WARNING", "KILLED"].includes(x.state.current)) return x.state.current;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`execution ${created.id} did not end`);
}

const FLOW = (ns, id, task) => `id: ${id}\nnamespace: ${ns}\ntasks:\n  - id: t\n${task}`;
const LOG = "    type: io.kestra.plugin.core.log.Log\n    message: hi\n";
const FAIL = "    type: io.kestra.plugin.core.execution.Fail\n    errorMessage: no\n";

const DASHBOARD = (key, ns) => `id: ${key}
title: Team ${key}
timeWindow:
  default: P1D
  max: P30D
charts:
  - id: ratio
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
      where:
        - field: NAMESPACE
          type: EQUAL_TO
          value: ${ns}
  - id: states
    type: io.kestra.plugin.core.dashboard.chart.Pie
    chartOptions:
      displayName: By state
    data:
      type: io.kestra.plugin.core.dashboard.data.Executions
      columns:
        state:
          field: STATE
        total:
          agg: COUNT
      where:
        - field: NAMESPACE
          type: EQUAL_TO
          value: ${ns}
  - id: per_flow
    type: io.kestra.plugin.core.dashboard.chart.Bar
    chartOptions:
      displayName: Per flow
      column: flow
    data:
      type: io.kestra.plugin.core.dashboard.data.Executions
      columns:
        flow:
          field: FLOW_ID
          displayName: Flow
        runs:
          agg: COUNT
          displayName: Runs
      where:
        - field: NAMESPACE
          type: EQUAL_TO
          value: ${ns}
  - id: note
    type: io.kestra.plugin.core.dashboard.chart.Markdown
    content: "**Read** the ratio first."
`;

async function dashboards(page, base) {
  const ns = `e2e.dash.x${uid()}`;
  const key = `team-${uid()}`;
  const yaml = { "Content-Type": "application/x-yaml" };
  await api(base, "POST", "/flows", FLOW(ns, "good", LOG), yaml);
  await api(base, "POST", "/flows", FLOW(ns, "bad", FAIL), yaml);
  check(await runToEnd(base, ns, "good") === "SUCCESS", "good succeeds");
  check(await runToEnd(base, ns, "good") === "SUCCESS", "good succeeds again");
  check(await runToEnd(base, ns, "bad") === "FAILED", "bad fails");

  // the home page shows the built-in default dashboard
  await page.goto(`${base}/ui/`);
  const home = page.getByRole("region", { name: "Overview dashboard" });
  await home.getByTestId("kpi-success_ratio").getByText(/%/).waitFor();
  await home.getByRole("region", { name: "By state" }).getByRole("listitem").getByText(/^FAILED: \d+$/).waitFor();

  await page.goto(`${base}/ui/dashboards`);
  await page.getByRole("button", { name: "New dashboard" }).click();
  const mistake = "line 49: charts[2].data.columns.flow.field: unknown field 'FLOW'";
  await setSource(page, "New dashboard YAML", DASHBOARD(key, ns).replace("field: FLOW_ID", "field: FLOW"));
  await page.getByLabel("Checks").getByText(mistake).waitFor();  // while typing, and marked at its line
  await page.locator(".monaco-editor .squiggly-error").first().waitFor();
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByRole("alert").getByText(mistake).waitFor();
  await setSource(page, "New dashboard YAML", DASHBOARD(key, ns));
  // once valid, the charts are drawn from real rows before the dashboard is saved
  await page.getByRole("region", { name: "Preview of the charts" }).getByTestId("kpi-ratio").getByText("66.7 %").waitFor();
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.waitForURL(new RegExp(`/ui/dashboards/${key}$`));
  await page.getByRole("heading", { name: `Team ${key}` }).waitFor();

  await page.getByTestId("kpi-ratio").getByText("66.7 %").waitFor();
  const pie = page.getByRole("region", { name: "By state" });
  await pie.getByRole("listitem").getByText("SUCCESS: 2").waitFor();
  await pie.getByRole("listitem").getByText("FAILED: 1").waitFor();
  const bars = page.getByRole("region", { name: "Per flow" });
  await bars.getByRole("img", { name: "Per flow over 2 values" }).waitFor();
  await page.getByRole("region", { name: "note" }).locator("strong", { hasText: "Read" }).waitFor();

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    bars.getByRole("button", { name: "Export Per flow as CSV" }).click(),
  ]);
  const csv = readFileSync(await download.path(), "utf-8");
  check(csv.replaceAll("\r", "") === "Flow,Runs\nbad,1\ngood,2\n", `the CSV: ${JSON.stringify(csv)}`);

  await page.getByRole("button", { name: "Edit" }).click();
  await setSource(page, "Dashboard YAML", DASHBOARD(key, ns).replace(`title: Team ${key}`, `title: Renamed ${key}`));
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByRole("heading", { name: `Renamed ${key}` }).waitFor();
  await page.getByTestId("kpi-ratio").getByText("66.7 %").waitFor();

  await page.getByRole("button", { name: `Delete dashboard Renamed ${key}` }).click();
  await page.getByRole("button", { name: `Confirm delete dashboard Renamed ${key}` }).click();
  await page.waitForURL(/\/ui\/dashboards$/);
  await page.getByRole("heading", { name: "Dashboards" }).waitFor();
  check((await page.getByRole("link", { name: `Renamed ${key}` }).count()) === 0, "the dashboard is gone");

  // axe-core's rules, in both themes, on the list and on a dashboard with every kind of chart
  const shown = `${key}-a11y`;
  await api(base, "POST", "/dashboards", DASHBOARD(shown, ns), yaml);
  await checkPages(page, base, ["/ui/dashboards", `/ui/dashboards/${shown}`]);
}

export const DASHBOARD_SCENARIOS = { dashboards };
