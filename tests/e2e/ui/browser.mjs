// Browser scenarios for the web UI, driven by playwright-core on Debian's Chromium.
// Usage: node browser.mjs SCENARIO BASE_URL OUT_DIR   (run by test_web_ui.py)
// Exits 0 when the scenario passed; otherwise prints why, saves OUT_DIR/SCENARIO-failure.png, exits 1.
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { A11Y_SCENARIOS } from "./a11y_scenarios.mjs";
import { APPS_SCENARIOS } from "./apps_scenarios.mjs";
import { ASSETS_SCENARIOS } from "./assets_scenarios.mjs";
import { COPILOT_SCENARIOS } from "./copilot_scenarios.mjs";
import { DASHBOARD_SCENARIOS } from "./dashboards_scenarios.mjs";
import { FIRSTDAY_SCENARIOS } from "./firstday_scenarios.mjs";
import { EDITOR_SCENARIOS, markedLines, setSource } from "./editor_scenarios.mjs";
import { IDENTITY_SCENARIOS } from "./identity_scenarios.mjs";
import { NEWCOMER_SCENARIOS } from "./newcomer_scenarios.mjs";
import { NOCODE_SCENARIOS } from "./nocode_scenarios.mjs";
import { PAGES_SCENARIOS } from "./pages_scenarios.mjs";
import { PHONE_SCENARIOS } from "./phone_scenarios.mjs";
import { check, stateIs, TIMEOUT } from "./support.mjs";
import { TABS_SCENARIOS } from "./tabs_scenarios.mjs";
import { TENANTS_SCENARIOS } from "./tenants_scenarios.mjs";
import { TRIGGERS_SCENARIOS } from "./triggers_scenarios.mjs";

// playwright-core is a dev dependency of ui/, installed by `make ui` (npm ci).
const require = createRequire(new URL("../../../ui/package.json", import.meta.url));
const { chromium } = require("playwright-core");

const [scenario, base, outDir] = process.argv.slice(2);
const CHROMIUM = process.env.LEGATO_CHROMIUM ?? "/usr/bin/chromium";

/** First visit: landing page → run the tutorial hello flow with an input → SUCCESS live → logs. */
async function firstRun(page) {
  await page.goto(base + "/");
  check(new URL(page.url()).pathname === "/ui/", `/ should redirect to /ui/, got ${page.url()}`);
  await page.getByRole("heading", { name: "Welcome to Legato" }).waitFor();
  await page.getByRole("link", { name: "Run your first flow" }).click();
  const dialog = page.getByRole("dialog", { name: "Execute tutorial.hello" });
  await dialog.waitFor();
  await dialog.getByLabel("name").fill("Playwright <b>bold</b>");
  await dialog.getByRole("button", { name: "Execute" }).click();
  await page.waitForURL(/\/ui\/executions\/[^/]+$/);
  await stateIs(page, "SUCCESS");
  await page.getByRole("cell", { name: "greet" }).waitFor();
  const outputs = await page.locator(".card", { has: page.getByRole("heading", { name: "Outputs" }) }).innerText();
  check(outputs.includes("PLAYWRIGHT <B>BOLD</B>"), `outputs should show the shout, got: ${outputs}`);
  check(await page.locator("b").count() === 0, "user input must be rendered as text, not HTML");
  await page.getByRole("link", { name: "Logs" }).click();
  await page.waitForURL(/\/logs$/);
  await page.getByRole("log", { name: "Logs" }).getByText("Hello, Playwright <b>bold</b>!").waitFor();
}

const FLOW_WITH_TYPO = `id: sleepy
namespace: e2e.ui
description: Made in the browser test.
inputs:
  - id: who
    type: STRING
  - id: data
    type: FILE
tasks:
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT3S
  - id: greet
    type: io.kestra.plugin.core.log.Log
    mesage: "Hi {{ inputs.who }}"
`;

/** Create a flow in the editor (a typo is flagged at its line), save it, run it with a file, watch it live. */
async function editor(page) {
  await page.goto(base + "/ui/flows/new");
  await setSource(page, "Flow YAML source", FLOW_WITH_TYPO);
  const problems = page.getByRole("list", { name: "Validation problems" });
  await problems.getByRole("button", { name: "Line 15" }).waitFor();
  const text = await problems.innerText();
  check(text.includes("mesage"), `the problem should name the typo, got: ${text}`);
  await page.waitForFunction(() => document.querySelectorAll(".view-overlays .squiggly-error").length > 0);
  check((await markedLines(page.locator(".flow-editor"))).includes(15), "line 15 should carry a marker");
  await setSource(page, "Flow YAML source", FLOW_WITH_TYPO.replace("mesage:", "message:"));
  await page.getByText("✓ Valid flow").waitFor();
  await page.getByRole("button", { name: "Save" }).click();
  await page.waitForURL(/\/ui\/flows\/e2e\.ui\/sleepy\/editor$/);
  await page.getByText(/^Created revision \d+$/).waitFor();

  await page.getByRole("link", { name: "Overview" }).click();
  const topology = page.getByRole("img", { name: "Topology: 2 tasks" });
  await topology.waitFor();
  check(await topology.locator('[data-task="nap"]').count() === 1, "the topology should show the nap task");

  await page.getByRole("button", { name: "Execute" }).click();
  const dialog = page.getByRole("dialog", { name: "Execute e2e.ui.sleepy" });
  await dialog.getByRole("button", { name: "Execute" }).click();
  await dialog.getByText("who is required").waitFor();
  await dialog.getByLabel("who").fill("Ada");
  await dialog.getByLabel("data").setInputFiles({ name: "numbers.csv", mimeType: "text/csv", buffer: Buffer.from("a,b\n1,2\n") });
  await dialog.getByRole("button", { name: "Execute" }).click();
  await page.waitForURL(/\/ui\/executions\/[^/]+$/);
  await stateIs(page, "RUNNING");
  // No reload from here on: the change to SUCCESS arrives over Server-Sent Events.
  await stateIs(page, "SUCCESS", 20_000);
  await page.getByRole("row", { name: /greet SUCCESS/ }).waitFor();
  const inputs = await page.locator(".card", { has: page.getByRole("heading", { name: "Inputs" }) }).innerText();
  check(inputs.includes("Ada"), `inputs should show who, got: ${inputs}`);
  await page.getByRole("link", { name: "Logs" }).click();
  await page.getByRole("log", { name: "Logs" }).getByText("Hi Ada").waitFor();
}

/** The flows list: search, namespace filter, and the URL keeps both. */
async function flowsList(page) {
  await page.goto(base + "/ui/flows");
  // the examples (and the flows other scenarios deploy) fill more than a page: find one by its name
  await page.getByLabel("Search").fill("branching");
  await page.waitForURL(/q=branching/);
  await page.getByRole("link", { name: "branching" }).waitFor();
  await page.getByLabel("Search").fill("greets");
  await page.waitForURL(/q=greets/);
  // The previous page stays on screen while the server answers: wait for the filtered list.
  await page.getByRole("link", { name: "branching" }).waitFor({ state: "detached" });
  await page.getByRole("link", { name: "hello" }).waitFor();
  await page.getByLabel("Search").fill("");
  await page.getByLabel("Namespace").selectOption("tutorial");
  await page.waitForURL(/namespace=tutorial/);
  // the examples fill more than a page: find one by its name within the namespace (the URL keeps both filters)
  await page.getByLabel("Search").fill("loops");
  await page.waitForURL(/namespace=tutorial.*q=loops|q=loops.*namespace=tutorial/);
  await page.getByRole("link", { name: "loops" }).waitFor();
  await page.getByRole("button", { name: "Dark mode" }).click();
  check(await page.evaluate(() => document.documentElement.dataset.theme) === "dark", "dark mode should apply");
  await page.reload();
  check(await page.evaluate(() => document.documentElement.dataset.theme) === "dark", "dark mode should persist");
}

/** Resume a paused execution with its onResume input, from the execution page. */
async function resume(page) {
  await page.goto(base + "/ui/flows/tutorial/approval?execute=1");
  await page.getByRole("dialog", { name: "Execute tutorial.approval" }).getByRole("button", { name: "Execute" }).click();
  await page.waitForURL(/\/ui\/executions\/[^/]+$/);
  await stateIs(page, "PAUSED");
  check(await page.getByRole("button", { name: "Kill" }).isEnabled(), "Kill should be offered while paused");
  check(await page.getByRole("button", { name: "Restart" }).count() === 0, "Restart should wait for a failure");
  const form = page.getByRole("region", { name: "Paused" }).getByRole("form", { name: "Resume" });
  const approved = form.getByLabel("approved");
  check(await approved.isChecked(), "the onResume default (true) should be preselected");
  await approved.uncheck();
  await form.getByRole("button", { name: "Resume execution" }).click();
  await stateIs(page, "SUCCESS");
  await page.getByRole("link", { name: "Logs" }).click();
  await page.getByRole("log", { name: "Logs" }).getByText("approved: false").waitFor();
}

const SCENARIOS = { first_run: firstRun, editor, flows_list: flowsList, resume, ...EDITOR_SCENARIOS, ...PAGES_SCENARIOS, ...A11Y_SCENARIOS,
  ...NEWCOMER_SCENARIOS, ...IDENTITY_SCENARIOS, ...DASHBOARD_SCENARIOS, ...TRIGGERS_SCENARIOS,
  ...APPS_SCENARIOS, ...ASSETS_SCENARIOS, ...PHONE_SCENARIOS, ...COPILOT_SCENARIOS, ...TABS_SCENARIOS, ...NOCODE_SCENARIOS,
  ...TENANTS_SCENARIOS, ...FIRSTDAY_SCENARIOS };

async function main() {
  const run = SCENARIOS[scenario];
  if (!run) throw new Error(`unknown scenario ${scenario}; one of ${Object.keys(SCENARIOS).join(", ")}`);
  mkdirSync(outDir, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(TIMEOUT);
  const problems = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  // A scenario that expects a dialog sets page.expectDialog to its handler, used for the next dialog only.
  page.on("dialog", (d) => {
    const expected = page.expectDialog;
    page.expectDialog = null;
    if (expected) return expected(d);
    problems.push(`unexpected browser dialog: ${d.message()}`);
    return d.dismiss();
  });
  const started = Date.now();
  try {
    await run(page, base);
    check(problems.length === 0, problems.join("\n"));
    await page.screenshot({ path: join(outDir, `${scenario}.png`), fullPage: true });
    console.log(`${scenario}: passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    const shot = join(outDir, `${scenario}-failure.png`);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
    writeFileSync(join(outDir, `${scenario}-failure.html`), await page.content().catch(() => ""));
    console.error(`${scenario}: FAILED at ${page.url()}\n${error.stack ?? error}\n${problems.join("\n")}\nscreenshot: ${shot}`);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

await main();
