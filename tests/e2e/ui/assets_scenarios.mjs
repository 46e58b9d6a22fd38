// Browser scenario of assets: run a flow whose tasks declare assets, open Assets, filter, see the asset with its
// metadata, its upstream and downstream assets and the execution that used it; follow the lineage; register one
// by hand and delete it. Run by browser.mjs.
import { checkPages } from "./a11y_scenarios.mjs";
import { api, check, deploy, uid } from "./support.mjs";

const FLOW = (ns, tag) => `id: lineage
namespace: ${ns}
tasks:
  - id: staging
    type: io.kestra.plugin.core.log.Log
    message: building trips
    assets:
      inputs:
        - id: taxi_${tag}
      outputs:
        - id: trips_${tag}
          type: io.kestra.plugin.ee.assets.Table
          namespace: "{{ flow.namespace }}"
          displayName: Trips ${tag}
          metadata:
            model_layer: staging
  - id: for_each
    type: io.kestra.plugin.core.flow.ForEach
    values: [passenger_count, trip_distance]
    tasks:
      - id: mart
        type: io.kestra.plugin.core.log.Log
        message: "{{ taskrun.value }}"
        assets:
          inputs:
            - id: trips_${tag}
          outputs:
            - id: avg_{{ taskrun.value }}_${tag}
              type: io.kestra.plugin.ee.assets.Table
              namespace: "{{ flow.namespace }}"
              metadata:
                model_layer: mart
`;

async function assets(page, base) {
  const tag = uid();
  const ns = `e2e.assets.x${tag}`;
  await deploy(base, FLOW(ns, tag));
  const created = await api(base, "POST", `/executions/${ns}/lineage?wait=true`);
  check(created.state.current === "SUCCESS", `the flow succeeds: ${created.state.current}`);

  await page.goto(`${base}/ui/`);
  await page.getByRole("navigation").getByRole("link", { name: "Assets", exact: true }).click();
  await page.getByRole("heading", { name: "Assets", level: 1 }).waitFor();
  await page.getByLabel("Namespace").fill(ns);
  await page.getByLabel("Namespace").press("Enter");
  const list = page.getByRole("table", { name: "Assets" });
  await list.getByRole("link", { name: `avg_passenger_count_${tag}` }).waitFor();
  await list.getByRole("link", { name: `avg_trip_distance_${tag}` }).waitFor();
  check(await list.locator(`tr[data-asset="trips_${tag}"]`).getByText("model_layer: staging").count() === 1,
    "the list shows the metadata");
  await page.getByLabel("Search").fill(`trips_${tag}`);
  await page.waitForURL(new RegExp(`q=trips_${tag}`));
  await list.getByRole("link", { name: `avg_trip_distance_${tag}` }).waitFor({ state: "detached" });
  await list.getByRole("link", { name: `trips_${tag}` }).click();

  await page.getByRole("heading", { name: `Trips ${tag}`, level: 1 }).waitFor();
  const facts = page.getByRole("definition");
  await facts.getByText("Table", { exact: true }).waitFor();
  await page.getByRole("table", { name: "Metadata" }).getByRole("cell", { name: "staging" }).waitFor();
  await page.getByRole("list", { name: "Upstream assets" }).getByRole("link", { name: `taxi_${tag}` }).waitFor();
  const downstream = page.getByRole("list", { name: "Downstream assets" });
  await downstream.getByRole("link", { name: `avg_passenger_count_${tag}` }).waitFor();
  await downstream.getByRole("link", { name: `avg_trip_distance_${tag}` }).waitFor();
  const used = page.getByRole("table", { name: "Executions that used it" });
  await used.getByRole("cell", { name: "staging (wrote), mart (read), mart (read)" }).or(
    used.getByRole("cell", { name: "mart (read), mart (read), staging (wrote)" })).waitFor();
  await used.getByRole("link", { name: created.id.slice(0, 8) }).click();
  await page.waitForURL(new RegExp(`/ui/executions/${created.id}`));
  // the execution's Assets tab: what each task run read and wrote
  await page.getByRole("navigation", { name: "Execution views" }).getByRole("link", { name: "Assets", exact: true }).click();
  const ofExecution = page.getByRole("table", { name: "Assets of this execution" });
  await ofExecution.getByRole("row", { name: `staging wrote trips_${tag} Table ${ns}` }).waitFor();
  await ofExecution.getByRole("row", { name: `mart [trip_distance] wrote avg_trip_distance_${tag} Table ${ns}` }).waitFor();
  await page.goBack();
  await page.goBack();

  // the lineage leads on: a mart, whose upstream is trips
  await downstream.getByRole("link", { name: `avg_trip_distance_${tag}` }).click();
  await page.getByRole("heading", { name: `avg_trip_distance_${tag}`, level: 1 }).waitFor();
  await page.getByRole("list", { name: "Upstream assets" }).getByRole("link", { name: `trips_${tag}` }).waitFor();

  // the namespace's Assets tab
  await page.goto(`${base}/ui/namespaces/${ns}/assets`);
  await page.getByRole("table", { name: "Assets" }).getByRole("link", { name: `avg_passenger_count_${tag}` }).waitFor();

  // one registered by hand (its id holds slashes), then deleted
  const bucket = `s3://bucket-${tag}/landing`;
  await page.goto(`${base}/ui/assets`);
  await page.getByRole("button", { name: "New asset" }).click();
  const form = page.getByRole("form", { name: "New asset" });
  await form.getByLabel("Id").fill(bucket);
  await form.getByLabel("Namespace").fill(ns);
  await form.getByLabel("Type").fill("io.kestra.plugin.ee.assets.Dataset");
  await form.getByRole("button", { name: "Create" }).click();
  await page.waitForURL((url) => url.pathname === `/ui/assets/${encodeURIComponent(bucket)}`);
  await page.getByRole("heading", { name: bucket, level: 1 }).waitFor();
  await page.getByText("No execution used it yet.").waitFor();
  await page.reload();  // a shared link reaches the asset too
  await page.getByRole("heading", { name: bucket, level: 1 }).waitFor();
  page.expectDialog = (d) => d.accept();
  await page.getByRole("button", { name: "Delete" }).click();
  await page.waitForURL(/\/ui\/assets$/);
  const gone = await fetch(`${base}/api/v1/main/assets/${encodeURIComponent(bucket)}`);
  check(gone.status === 404, `the asset is gone: ${gone.status}`);

  await checkPages(page, base, ["/ui/assets", `/ui/assets/trips_${tag}`, `/ui/executions/${created.id}/assets`]);
}

export const ASSETS_SCENARIOS = { assets };
