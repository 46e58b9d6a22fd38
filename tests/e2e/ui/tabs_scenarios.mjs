// Browser scenarios of the execution page's details (metrics tab, paused banner, live duration, nested task
// runs, per-task actions behind a menu, only the actions that apply) and of a namespace's variables and plugin
// defaults, and the Settings page (system theme, time zone, default namespace). Run by browser.mjs.
import { api, check, deploy, stateIs, uid } from "./support.mjs";
import { checkPages } from "./a11y_scenarios.mjs";

const WATCHED = (ns) => `id: watched
namespace: ${ns}
tasks:
  - id: fan
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - id: left
        type: io.kestra.plugin.core.log.Log
        message: left
      - id: right
        type: io.kestra.plugin.core.log.Log
        message: right
  - id: count
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - echo '::{"metrics":[{"name":"rows","type":"counter","value":42,"tags":{"table":"orders"}},{"name":"load","type":"timer","value":1.5}]}::'
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT4S
  - id: gate
    type: io.kestra.plugin.core.flow.Pause
    timeout: PT1H
    onResume:
      - id: reason
        type: STRING
  - id: said
    type: io.kestra.plugin.core.log.Log
    message: "resumed because {{ outputs.gate.onResume.reason }}"
`;

const text = async (locator) => (await locator.innerText()).trim();

/** One execution watched from start to end: live duration while it sleeps, only the actions that apply, nested
 * Parallel subtasks, a banner saying what the pause waits for with its Resume form, the Metrics tab, the per-task
 * actions folded in a menu with a confirmation; the executions list shows bulk actions only on selection. */
async function executionDetails(page, base) {
  const ns = `e2e.tabs.x${uid()}`;
  await deploy(base, WATCHED(ns));
  const started = await api(base, "POST", `/executions/${ns}/watched`, new FormData());
  await page.goto(`${base}/ui/executions/${started.id}`);
  await page.locator('tr[data-task="nap"]').getByText("RUNNING", { exact: true }).waitFor();
  const duration = page.locator(".summary div", { hasText: "Duration" }).locator("dd");
  const first = await text(duration);
  await page.waitForTimeout(1500);
  const later = await text(duration);
  check(first !== later, `the duration should count up while the execution runs, stayed at ${first}`);
  check(await page.getByRole("button", { name: "Kill" }).count() === 1, "Kill applies while running");
  for (const name of ["Restart", "Replay", "Resume"]) {
    check(await page.getByRole("button", { name, exact: true }).count() === 0, `${name} does not apply while running`);
  }
  const order = await page.locator("tr[data-task]").evaluateAll((rows) => rows.map((r) => `${r.dataset.task}:${r.dataset.depth}`));
  check(order.slice(0, 3).join(",") === "fan:0,left:1,right:1" || order.slice(0, 3).join(",") === "fan:0,right:1,left:1",
    `the Parallel's subtasks should be nested right under it, got ${order.join(",")}`);

  await stateIs(page, "PAUSED");
  const banner = page.getByRole("region", { name: "Paused" });
  const form = banner.getByRole("form", { name: "Resume" });
  await form.waitFor();
  const said = await text(banner);
  check(said.includes("Task gate paused the execution") && said.includes("waits for someone to resume it")
    && said.includes("at most until"), `the banner should say what the pause waits for, got: ${said}`);
  check(await page.getByRole("button", { name: "Pause", exact: true }).count() === 0, "Pause does not apply while paused");
  await form.getByLabel("reason").fill("the checks passed");
  await form.getByRole("button", { name: "Resume execution" }).click();
  await stateIs(page, "SUCCESS");
  check(await banner.count() === 0, "the banner goes once the execution resumed");
  const ended = await text(duration);
  await page.waitForTimeout(1200);
  check(await text(duration) === ended, "an ended execution's duration stays");
  check(await page.getByRole("button", { name: "Kill" }).count() === 0, "Kill does not apply once ended");

  // Per-task controls: folded in a menu, each with a confirmation.
  const row = page.locator('tr[data-task="count"]');
  check(await row.getByRole("button", { name: "Set state" }).count() === 0, "no state change offered before the menu is opened");
  await row.getByRole("button", { name: "Task actions" }).click();
  await row.getByRole("button", { name: "Change state…" }).click();
  const dialog = page.getByRole("alertdialog", { name: "Change the state of count" });
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await dialog.waitFor({ state: "detached" });
  check((await api(base, "GET", `/executions/${started.id}`)).state.current === "SUCCESS", "Cancel changes nothing");

  await page.getByRole("link", { name: "Metrics", exact: true }).click();
  await page.waitForURL(/\/metrics$/);
  const table = page.getByRole("table", { name: "Metrics" });
  const rows = await text(table.locator('tr[data-metric="rows"]'));
  check(rows.includes("count") && rows.includes("counter") && rows.includes("42") && rows.includes("table:orders"),
    `the counter row should show task, type, value and tags, got: ${rows}`);
  const load = await text(table.locator('tr[data-metric="load"]'));
  check(load.includes("timer") && load.includes("1.50 s"), `the timer should read as a duration, got: ${load}`);

  await page.goto(`${base}/ui/executions?namespace=${ns}`);
  await page.getByRole("table", { name: "Executions" }).waitFor();
  check(await page.getByRole("toolbar", { name: "Bulk actions" }).count() === 0, "no bulk actions without a selection");
  await page.getByLabel("Select all on this page").check();
  await page.getByRole("toolbar", { name: "Bulk actions" }).getByText("1 selected").waitFor();

  const paused = await api(base, "POST", "/executions/tutorial/approval", new FormData());
  for (let i = 0; i < 100 && (await api(base, "GET", `/executions/${paused.id}`)).state.current !== "PAUSED"; i++) {
    await page.waitForTimeout(100);
  }
  await checkPages(page, base, [`/ui/executions/${started.id}`, `/ui/executions/${started.id}/metrics`, `/ui/executions/${paused.id}`]);
}

const SMALL = (ns) => `id: small
namespace: ${ns}
tasks:
  - id: hi
    type: io.kestra.plugin.core.log.Log
    message: hi
`;

/** A namespace's Variables and Plugin defaults tabs: YAML saved (the API agrees; one part kept when the other is
 * saved), a YAML mistake said with its line and nothing saved, a child namespace shows what it inherits. */
async function namespaceSettings(page, base) {
  const ns = `e2e.tabs.n${uid()}`;
  await deploy(base, SMALL(ns));
  await deploy(base, SMALL(`${ns}.child`));
  await page.goto(`${base}/ui/namespaces/${ns}`);
  await page.getByRole("link", { name: "Variables", exact: true }).click();
  await page.waitForURL(/\/variables$/);
  const form = page.getByRole("form", { name: "Variables (YAML)" });
  await form.getByLabel("Variables (YAML)").fill("region: [eu");
  await form.getByRole("button", { name: "Save" }).click();
  const problem = await text(form.getByRole("alert"));
  check(/^Line 1\b/.test(problem), `a YAML mistake should be said with its line, got: ${problem}`);
  check(Object.keys((await api(base, "GET", `/namespaces/${ns}`)).variables).length === 0, "nothing is saved from bad YAML");
  await form.getByLabel("Variables (YAML)").fill("region: eu-west-1\nlimits:\n  rows: 10\n");
  await form.getByRole("button", { name: "Save" }).click();
  await form.getByRole("status").getByText("Saved.").waitFor();
  let stored = await api(base, "GET", `/namespaces/${ns}`);
  check(stored.variables.region === "eu-west-1" && stored.variables.limits.rows === 10, `variables saved: ${JSON.stringify(stored)}`);

  await page.getByRole("link", { name: "Plugin defaults", exact: true }).click();
  const defaults = page.getByRole("form", { name: "Plugin defaults (YAML)" });
  await defaults.getByLabel("Plugin defaults (YAML)").fill("- type: io.kestra.plugin.core.log.Log\n  values:\n    level: WARN\n");
  await defaults.getByRole("button", { name: "Save" }).click();
  await defaults.getByRole("status").getByText("Saved.").waitFor();
  stored = await api(base, "GET", `/namespaces/${ns}`);
  check(stored.pluginDefaults.length === 1 && stored.pluginDefaults[0].values.level === "WARN" && stored.pluginDefaults[0].forced === false,
    `plugin defaults saved: ${JSON.stringify(stored.pluginDefaults)}`);
  check(stored.variables.region === "eu-west-1", "saving the plugin defaults keeps the variables");
  await page.reload();
  check((await defaults.getByLabel("Plugin defaults (YAML)").inputValue()).includes("level: WARN"), "the tab shows what was saved");

  await page.goto(`${base}/ui/namespaces/${ns}.child/variables`);
  const inherited = await text(page.getByRole("region", { name: "Inherited from parent namespaces" }));
  check(inherited.includes("region: eu-west-1"), `the child should show the parent's variables, got: ${inherited}`);
  await checkPages(page, base, [`/ui/namespaces/${ns}/variables`, `/ui/namespaces/${ns}/plugin-defaults`,
    `/ui/namespaces/${ns}.child/variables`, "/ui/settings"]);
}

/** Settings: the "system" theme follows the device's preference as it changes; the time zone applies to the
 * dates shown; the default namespace fills the new-flow template and filters the flows and executions lists. */
async function settingsChoices(page, base) {
  await page.goto(`${base}/ui/settings`);
  await page.emulateMedia({ colorScheme: "dark" });
  await page.getByRole("radio", { name: "System (follows this device)" }).check();
  const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
  check(await theme() === "dark", "the system theme should follow a dark device");
  await page.emulateMedia({ colorScheme: "light" });
  await page.waitForFunction(() => document.documentElement.dataset.theme === "light");
  await page.reload();
  check(await page.getByRole("radio", { name: "System (follows this device)" }).isChecked(), "the choice persists");

  const done = await api(base, "POST", "/executions/tutorial/hello?wait=true", new FormData());
  await page.getByLabel("Time zone").selectOption("Asia/Tokyo");
  await page.goto(`${base}/ui/executions/${done.id}`);
  const started = page.locator(".summary div", { hasText: "Started" }).locator("time");
  const tokyo = await text(started);
  const expected = new Date(done.state.startDate).toLocaleString("en-US", { timeZone: "Asia/Tokyo", hour: "numeric", hour12: true });
  check(tokyo.includes("GMT+9"), `dates should show in the chosen zone, got: ${tokyo}`);
  check(tokyo.includes(expected.split(" ")[0] + ":"), `the hour should be Tokyo's (${expected}), got: ${tokyo}`);
  await page.goto(`${base}/ui/settings`);
  await page.getByLabel("Time zone").selectOption("UTC");
  await page.goto(`${base}/ui/executions/${done.id}`);
  check((await text(started)).includes("UTC"), "the UTC choice applies");

  const ns = `e2e.tabs.d${uid()}`;
  await deploy(base, SMALL(ns));
  await page.goto(`${base}/ui/settings`);
  await page.getByLabel("Default namespace").fill("Not A Namespace");
  await page.getByText("A namespace has lowercase letters").waitFor();
  await page.getByLabel("Default namespace").fill(ns);
  await page.goto(`${base}/ui/flows/new`);
  await page.waitForFunction((wanted) => [...document.querySelectorAll(".view-lines .view-line")]
    .some((l) => l.textContent.replace(/[\u00a0\u00b7]/g, " ").trim() === wanted), `namespace: ${ns}`);
  await page.goto(`${base}/ui/flows`);
  await page.waitForURL((url) => url.searchParams.get("namespace") === ns);
  await page.getByRole("link", { name: "small", exact: true }).waitFor();
  check(await page.getByRole("link", { name: "hello", exact: true }).count() === 0, "the flows list is filtered on the default namespace");
  await page.goto(`${base}/ui/executions`);
  await page.waitForURL((url) => url.searchParams.get("namespace") === ns);
  await page.getByRole("button", { name: "Clear all filters" }).click();
  await page.waitForURL((url) => !url.searchParams.has("namespace"));
  await page.getByRole("link", { name: "tutorial.hello" }).first().waitFor();
  await page.evaluate(() => localStorage.clear());
}

export const TABS_SCENARIOS = { execution_details: executionDetails, namespace_settings: namespaceSettings, settings_choices: settingsChoices };
