// Browser scenarios of issue 21, "a newcomer's first day": what a newcomer runs into while writing a flow by
// hand, running it, reading why it failed and cleaning up. Run by browser.mjs: run(page, base).
import { offerTaskTypes, setSource } from "./editor_scenarios.mjs";
import { api, check, deploy, stateIs, uid } from "./support.mjs";

/** Run a flow through the API and wait for it to end; returns the execution's id. */
async function runToEnd(base, ns, id) {
  const created = await api(base, "POST", `/executions/${ns}/${id}`);
  for (let i = 0; i < 100; i++) {
    const x = await api(base, "GET", `/executions/${created.id}`);
    if (["SUCCESS", "FAILED", "WARNING", "KILLED"].includes(x.state.current)) return created.id;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`execution ${created.id} did not end`);
}

const FAILING = (ns) => `id: failing
namespace: ${ns}
tasks:
  - id: prepare
    type: io.kestra.plugin.core.log.Log
    message: preparing the input
  - id: load
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: the input file is missing
`;

/** Item 3: a failed execution's overview names the failing task and its error, links to its log lines
 * (scrolled to and focused); its Gantt row shows that task's logs, and any row expands to its own. */
async function failureReason(page, base) {
  const ns = `e2e.newcomer.f${uid()}`;
  await deploy(base, FAILING(ns));
  const id = await runToEnd(base, ns, "failing");
  await page.goto(`${base}/ui/executions/${id}`);
  await stateIs(page, "FAILED");
  const why = page.getByRole("region", { name: "Why it failed" });
  await why.waitFor();
  const text = await why.innerText();
  check(text.includes("load") && text.includes("the input file is missing"), `the failure should name the task and its error, got: ${text}`);
  check(!text.includes("prepare"), `only the failing task should be named, got: ${text}`);
  await why.getByRole("link", { name: "Log lines of load" }).click();
  await page.waitForURL(/\/logs\?.*taskRunId=/);
  const line = page.getByRole("log", { name: "Logs" }).locator(".log-focus");
  await line.getByText("the input file is missing").waitFor();
  check(await line.evaluate((el) => el === document.activeElement), "the error line should have the focus");
  const box = await line.boundingBox();
  check(box && box.y >= 0 && box.y < 900, `the error line should be scrolled into view, at ${JSON.stringify(box)}`);

  await page.getByRole("link", { name: "Gantt", exact: true }).click();
  const gantt = page.getByRole("table", { name: "Gantt chart" });
  const failedLogs = gantt.getByRole("log", { name: "Logs of load" });
  await failedLogs.getByText("the input file is missing").waitFor();
  check(await gantt.getByRole("log", { name: "Logs of prepare" }).count() === 0, "a successful row starts folded");
  const toggle = gantt.getByRole("button", { name: "Show the logs of prepare" });
  check(await toggle.getAttribute("aria-expanded") === "false", "the toggle should say it is folded");
  await toggle.click();
  await gantt.getByRole("log", { name: "Logs of prepare" }).getByText("preparing the input").waitFor();
  await gantt.getByRole("button", { name: "Hide the logs of load" }).click();
  await failedLogs.waitFor({ state: "detached" });
}

const RETRIED = (ns) => `id: retried
namespace: ${ns}
tasks:
  - id: boom
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: boom went the task
    retry:
      type: constant
      interval: PT0.05S
      maxAttempts: 3
`;

/** Attempts count from 1 where the UI labels them: the Logs tab says `boom #1` for a first attempt's lines (the
 * API's attemptNumber 0), `#2`, `#3` for the retries, each error once; the Gantt row's logs say the same. */
async function attemptNumbers(page, base) {
  const ns = `e2e.newcomer.a${uid()}`;
  await deploy(base, RETRIED(ns));
  const id = await runToEnd(base, ns, "retried");
  await page.goto(`${base}/ui/executions/${id}/logs`);
  const logs = page.getByRole("log", { name: "Logs" });
  await logs.getByText("boom went the task").first().waitFor();
  const errors = await logs.locator(".log-error").evaluateAll((rows) => rows.map((r) =>
    `${r.querySelector(".task").textContent}: ${r.querySelector(".message").textContent}`));
  check(JSON.stringify(errors) === JSON.stringify(["boom #1: boom went the task", "boom #2: boom went the task", "boom #3: boom went the task"]),
    `each attempt's error should show once, numbered from 1, got: ${JSON.stringify(errors)}`);
  const retry = logs.locator(".log-warn").filter({ hasText: "Attempt 1 of 'boom' failed" });
  check(await retry.locator(".task").textContent() === "boom #1", "the first retry line belongs to attempt #1");

  await page.getByRole("link", { name: "Gantt", exact: true }).click();
  const rowLogs = page.getByRole("table", { name: "Gantt chart" }).getByRole("log", { name: "Logs of boom" });
  await rowLogs.getByText("boom went the task").first().waitFor();
  const attempts = await rowLogs.locator(".log-error .attempt").allTextContents();
  check(JSON.stringify(attempts) === JSON.stringify(["#1", "#2", "#3"]), `the Gantt's log lines should say #1, #2, #3, got: ${JSON.stringify(attempts)}`);
}

/** The editor's lines as the user sees them (rendered whitespace dots turned back into spaces). */
async function editorLines(page) {
  return page.locator(".flow-editor .monaco-editor").first().evaluate((root) => [...root.querySelectorAll(".view-lines .view-line")]
    .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
    .map((l) => l.textContent.replace(/[\u00a0\u00b7]/g, " ").replace(/\s+$/, "")));
}

/** Put the cursor at the end of the 1-based line `n` of the editor (Ctrl+Home, then down, then End). */
async function toLineEnd(page, n) {
  await page.getByRole("textbox", { name: "Flow YAML source" }).focus();
  await page.keyboard.press("Control+Home");
  for (let i = 1; i < n; i++) await page.keyboard.press("ArrowDown");
  await page.keyboard.press("End");
}

/** Type text and close any completion list it opened (so that a following Enter is a new line). */
async function typeText(page, text) {
  await page.keyboard.type(text, { delay: 15 });
  await page.keyboard.press("Escape");
}

const STARTED = `id: typed
namespace: e2e.newcomer
tasks:
  - id: hello`;

/** Item 1: Enter after \`- id: x\` indents under \`id\`, Tab inserts spaces, completion works while the YAML is
 * broken, a YAML syntax error is said in plain words at its line, the editor is page-wide with a resizable
 * side panel. */
async function editorIndentation(page, base) {
  await page.goto(`${base}/ui/flows/new`);
  await setSource(page, "Flow YAML source", STARTED);
  await toLineEnd(page, 4);
  await page.keyboard.press("Enter");
  await typeText(page, "type: io.kestra.plugin.core.log.Log");
  let lines = await editorLines(page);
  check(lines[4] === "    type: io.kestra.plugin.core.log.Log", `Enter after "- id:" should indent under id, line 5 is ${JSON.stringify(lines[4])}`);
  await page.keyboard.press("Enter");
  await typeText(page, "message: hi");
  await page.keyboard.press("Enter");
  await page.keyboard.press("Shift+Tab");
  await typeText(page, "- id: second");
  lines = await editorLines(page);
  check(lines[6] === "  - id: second", `Shift+Tab should step back to the list, line 7 is ${JSON.stringify(lines[6])}`);
  await page.keyboard.press("Enter");
  await page.keyboard.press("Home");
  await page.keyboard.press("Tab");
  lines = await editorLines(page);
  check(/^ +$/.test(lines[7] ?? "") || lines[7] === "", `Tab should insert spaces, line 8 is ${JSON.stringify(lines[7])}`);
  check(!(lines[7] ?? "").includes("\t"), "Tab must not insert a tab character");

  // Completion of a task type while the YAML below is broken (an unclosed quote).
  const broken = `${STARTED}\n    type: io.kestra.plugin.core.log.Log\n    message: "unclosed\n  - id: second\n    type: `;
  await setSource(page, "Flow YAML source", broken);
  const problems = page.getByRole("list", { name: "Validation problems" });
  await problems.getByText("is never closed").waitFor();
  await offerTaskTypes(page, base, "no task type offered while the YAML is broken");
  const suggestions = page.locator(".suggest-widget");
  await page.keyboard.type("core.log.Log", { delay: 20 });
  await suggestions.getByRole("option", { name: /^io\.kestra\.plugin\.core\.log\.Log\b/ }).click();
  lines = await editorLines(page);
  check(lines[7] === "    type: io.kestra.plugin.core.log.Log", `completion should insert the type, line 8 is ${JSON.stringify(lines[7])}`);

  // A mis-indented key: the problem says what to line up with, never the parser's words.
  await setSource(page, "Flow YAML source", `${STARTED}\n   type: io.kestra.plugin.core.log.Log\n    message: hi\n`);
  await problems.getByRole("button", { name: "Line 5" }).waitFor();
  const said = await problems.innerText();
  check(said.includes("indentation: `type:` should line up with `id:` on line 4"), `the problem should say how to indent, got: ${said}`);
  check(!said.includes("block end"), `the parser's words should not show: ${said}`);

  // Page-wide, with a side panel resized from the keyboard (and kept after a reload).
  const viewport = page.viewportSize();
  const width = (await page.locator(".flow-editor").boundingBox()).width;
  check(width > viewport.width - 80, `the editor should use the page width (${viewport.width}), it is ${width} wide`);
  const side = page.getByRole("complementary", { name: "Editor side panel" });
  const before = (await side.boundingBox()).width;
  const handle = page.getByRole("separator", { name: "Resize the side panel" });
  await handle.focus();
  for (let i = 0; i < 5; i++) await page.keyboard.press("ArrowLeft");
  const after = (await side.boundingBox()).width;
  check(after > before + 40, `ArrowLeft on the handle should widen the side panel: ${before} → ${after}`);
  const box = await handle.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 120, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  const dragged = (await side.boundingBox()).width;
  check(dragged < after - 80, `dragging the handle right should narrow the side panel: ${after} → ${dragged}`);
  page.expectDialog = (dialog) => dialog.accept();
  await page.reload();
  await side.waitFor();
  const kept = (await side.boundingBox()).width;
  check(Math.abs(kept - dragged) < 4, `the width should be kept after a reload: ${dragged} → ${kept}`);
}

const GREETING = (ns) => `id: greeting
namespace: ${ns}
labels:
  team: newcomers
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hello
`;

/** Item 9: the executions list filters with chips (namespace, flow, state, label, time range presets), all in
 * the URL (kept by a reload, removed one by one); the bulk actions show only once rows are selected. */
async function executionFilters(page, base) {
  const ns = `e2e.newcomer.x${uid()}`;
  await deploy(base, FAILING(ns));
  await deploy(base, GREETING(ns));
  const failedId = await runToEnd(base, ns, "failing");
  const greetId = await runToEnd(base, ns, "greeting");
  const row = (id) => page.locator(`[data-execution="${id}"]`);
  await page.goto(`${base}/ui/executions`);
  const bar = page.getByRole("search", { name: "Filter executions" });
  await bar.waitFor();
  check(await page.getByRole("toolbar", { name: "Bulk actions" }).count() === 0, "bulk actions should wait for a selection");

  const addFilter = async (kind, value) => {
    await bar.getByLabel("Filter on").selectOption(kind);
    const input = bar.getByLabel("Filter value");
    if (await input.evaluate((el) => el.tagName === "SELECT")) await input.selectOption(value);
    else await input.fill(value);
    await bar.getByRole("button", { name: "Add filter" }).click();
  };
  await addFilter("namespace", ns);
  await page.waitForURL(new RegExp(`namespace=${ns.replace(/\./g, "\\.")}`));
  const chips = bar.getByRole("list", { name: "Active filters" });
  await chips.getByText(ns).waitFor();
  await row(failedId).waitFor();
  await row(greetId).waitFor();

  await addFilter("state", "FAILED");
  await page.waitForURL(/state=FAILED/);
  await row(greetId).waitFor({ state: "detached" });
  await row(failedId).waitFor();

  await bar.getByRole("button", { name: "Last hour", exact: true }).click();
  await page.waitForURL(/range=PT1H/);
  check(await bar.getByRole("button", { name: "Last hour", exact: true }).getAttribute("aria-pressed") === "true", "the preset should show as chosen");
  await row(failedId).waitFor();

  await page.reload();
  await chips.getByText("FAILED").waitFor();
  await chips.getByText(ns).waitFor();
  check(await bar.getByRole("button", { name: "Last hour", exact: true }).getAttribute("aria-pressed") === "true", "the preset should survive a reload");
  await row(failedId).waitFor();

  await chips.getByRole("button", { name: "Remove the filter State FAILED" }).click();
  await page.waitForURL((url) => !url.search.includes("state="));
  await row(greetId).waitFor();

  await addFilter("label", "team:newcomers");
  await page.waitForURL(/label=team%3Anewcomers/);
  await row(failedId).waitFor({ state: "detached" });
  await row(greetId).waitFor();
  await addFilter("flow", "greeting");
  await page.waitForURL(/flowId=greeting/);
  await row(greetId).waitFor();

  await page.getByLabel(`Select ${greetId}`).check();
  const toolbar = page.getByRole("toolbar", { name: "Bulk actions" });
  await toolbar.getByText("1 selected").waitFor();
  await toolbar.getByRole("button", { name: "Delete selected" }).waitFor();
  await page.getByLabel(`Select ${greetId}`).uncheck();
  await toolbar.waitFor({ state: "detached" });

  await bar.getByRole("button", { name: "Clear all filters" }).click();
  await page.waitForURL((url) => url.search === "");
  await chips.getByText("All executions").waitFor();
  check(await chips.getByRole("button").count() === 0, "no chip should be left");
}

const TYPO = `id: typo
namespace: e2e.newcomer
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    mesage: hi
`;

/** Item 8: a refused save says so once, next to the Save button (still visible when the page is scrolled),
 * and at the line, in the editor; the next edit clears it. */
async function saveErrors(page, base) {
  await page.goto(`${base}/ui/flows/new`);
  await setSource(page, "Flow YAML source", TYPO);
  await page.getByRole("button", { name: "Save", exact: true }).click();
  const toolbar = page.locator(".flow-editor .editor-toolbar");
  const refused = toolbar.getByRole("alert");
  await refused.getByText("Not saved").waitFor();
  const said = await refused.innerText();
  check(said.includes("unknown property 'mesage'"), `the reason should be next to Save, got: ${said}`);
  // Once: no second box repeating it, and no detail repeated inside this one.
  await page.waitForTimeout(500);
  const outside = await page.evaluate(() => {
    const editor = document.querySelector(".flow-editor .monaco-editor");
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    let count = 0;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!editor.contains(node) && node.parentElement.checkVisibility() && node.textContent.includes("unknown property 'mesage'")) count++;
    }
    return count;
  });
  check(outside === 1, `the reason should show once outside the editor, found ${outside} times`);
  check(said.split("required property 'message' is missing").length === 2, `each problem once: ${said}`);
  // At its line, in the editor.
  const inline = page.locator(".flow-editor .save-error-inline");
  await inline.first().waitFor();
  // Monaco renders injected text in pieces.
  const inlineText = (await inline.allInnerTexts()).join("").replace(/\u00a0/g, " ");
  check(inlineText.includes("unknown property 'mesage'"), `the reason should show at its line: ${inlineText}`);
  // Always visible: scrolled down, the alert stays on screen.
  await page.setViewportSize({ width: 1280, height: 500 });
  await page.mouse.wheel(0, 2000);
  await page.waitForTimeout(300);
  const box = await refused.boundingBox();
  check(box && box.y >= 0 && box.y + 10 < 500, `the save error should stay visible when scrolled: ${JSON.stringify(box)}`);
  await page.setViewportSize({ width: 1280, height: 900 });
  // The line button goes to the problem; an edit clears the refusal.
  await refused.getByRole("button", { name: "Line 6" }).click();
  await page.keyboard.type("s");
  await refused.waitFor({ state: "detached" });
  // Monaco draws decoration changes on its next animation frame, so the inline reason may outlive the alert by one.
  await inline.first().waitFor({ state: "detached", timeout: 2000 }).catch(() => {});
  check(await inline.count() === 0, "the inline reason should go with the edit");
}

const DESCRIBED = (ns) => `id: described
namespace: ${ns}
description: |
  **Loads** the [daily report](https://example.com/report) from the warehouse, then sends it to everyone on the
  finance team and archives a copy for the auditors of next year.

  Second paragraph <img src=x onerror="window.__pwned=1"> with \`code\`.
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hello
`;

/** Item 10: a description's Markdown is rendered (sanitised) on the flow page; lists show its first paragraph
 * as text, cut on a word boundary with an ellipsis, the whole text in a tooltip. */
async function descriptions(page, base) {
  const ns = `e2e.newcomer.d${uid()}`;
  await deploy(base, DESCRIBED(ns));
  await page.goto(`${base}/ui/flows?namespace=${ns}`);
  await page.getByRole("columnheader", { name: "Description" }).waitFor();
  const column = await page.getByRole("columnheader").evaluateAll((cells) => cells.findIndex((c) => c.textContent === "Description"));
  const cell = page.getByRole("row", { name: /described/ }).getByRole("cell").nth(column);
  await cell.waitFor();
  const shown = (await cell.innerText()).trim();
  check(!shown.includes("**") && !shown.includes("]("), `the list should show text, not Markdown: ${shown}`);
  check(shown.startsWith("Loads the daily report from the warehouse"), `the first paragraph should show: ${shown}`);
  check(shown.endsWith("…") && shown.length <= 121, `a long description should be cut with an ellipsis: ${shown} (${shown.length})`);
  const kept = shown.slice(0, -1).trimEnd();
  const full = "Loads the daily report from the warehouse, then sends it to everyone on the finance team and archives a copy for the auditors of next year.";
  check(full.startsWith(kept) && [" ", ","].includes(full[kept.length]), `the cut should fall between words: "${kept}"`);
  check((await cell.locator("[title]").getAttribute("title")).startsWith(full), "the whole text should be in the tooltip");

  await page.goto(`${base}/ui/namespaces/${ns}`);
  const nsCell = page.getByRole("row", { name: /described/ }).getByRole("cell").nth(2);
  check((await nsCell.innerText()).trim() === shown, "the namespace page should show the same summary");

  await page.goto(`${base}/ui/flows/${ns}/described`);
  const body = page.locator(".markdown").first();
  await body.locator("strong", { hasText: "Loads" }).waitFor();
  const link = body.getByRole("link", { name: "daily report" });
  check(await link.getAttribute("target") === "_blank" && (await link.getAttribute("rel")).includes("noopener"), "links open apart");
  await body.locator("code", { hasText: "code" }).waitFor();
  check(await body.locator("img[onerror]").count() === 0, "event handlers must be dropped");
  check(await page.evaluate(() => window.__pwned) === undefined, "the description must not run code");
}

const REQUEST = `id: docs
namespace: e2e.newcomer
tasks:
  - id: call
    type: io.kestra.plugin.core.http.Request
    uri: https://example.com`;

/** The property names of a docs table, as shown (CSS text-transform included), in order. */
const propertyNames = (scope) => scope.getByRole("rowheader").evaluateAll((cells) => cells
  .filter((c) => c.checkVisibility()).map((c) => c.querySelector("code")?.innerText ?? ""));

/** Item 5: plugin pages and the docs panel show property names as written and on one line, the task's own
 * (required first, marked) before the generic ones (folded); examples copy with a button; the plugins start
 * page lists the families with their counts. */
async function pluginDocs(page, base) {
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  await page.goto(`${base}/ui/plugins`);
  const families = page.getByRole("list", { name: "Plugin families" });
  await families.getByRole("link", { name: /^Jdbc › Postgresql \(\d+\)$/ }).click();
  await page.waitForURL(/q=jdbc\.postgresql/);
  await page.getByRole("navigation", { name: "Plugin types" }).getByRole("heading", { name: "Jdbc › Postgresql" }).waitFor();

  await page.goto(`${base}/ui/plugins/io.kestra.plugin.core.flow.Subflow`);
  const doc = page.getByRole("article", { name: /^Documentation of .*Subflow$/ });
  const table = doc.getByRole("table", { name: /Properties/ }).first();
  await table.getByRole("rowheader").first().waitFor();
  let names = await propertyNames(doc);
  check(names[0] === "namespace" && names[1] === "flowId", `required properties first, as written: ${names.slice(0, 4)}`);
  check(!names.includes("retry"), `generic properties should start folded: ${names}`);
  const required = await doc.getByRole("row", { name: /flowId/ }).first().innerText();
  check(/required/i.test(required), `a required property should say so: ${required}`);
  await doc.locator("summary", { hasText: /^Common properties/ }).click();
  names = await propertyNames(doc);
  check(names.indexOf("retry") > names.indexOf("inputs"), `generic properties come after the task's own: ${names}`);

  const copy = doc.getByRole("button", { name: "Copy example 1" });
  await copy.click();
  await doc.getByRole("button", { name: "Copied example 1" }).waitFor();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  check(copied.includes("io.kestra.plugin.core.flow.Subflow") || copied.includes("Subflow"), `the example should be copied: ${copied}`);

  // The editor's docs panel, at its narrowest: names stay on one line and keep their case.
  await page.goto(`${base}/ui/flows/new`);
  await setSource(page, "Flow YAML source", REQUEST);
  const handle = page.getByRole("separator", { name: "Resize the side panel" });
  await handle.focus();
  for (let i = 0; i < 40; i++) await page.keyboard.press("ArrowRight");
  await page.getByRole("textbox", { name: "Flow YAML source" }).focus();
  await page.keyboard.press("Control+End");
  const panel = page.getByRole("article", { name: "Documentation of io.kestra.plugin.core.http.Request" });
  await panel.getByRole("rowheader").first().waitFor();
  names = await propertyNames(panel);
  check(names[0] === "uri", `the task's required property first, as written: ${names}`);
  check(names.includes("contentType"), `camelCase names keep their case: ${names}`);
  const wrapped = await panel.getByRole("rowheader").evaluateAll((cells) => cells.filter((c) => c.checkVisibility())
    .map((c) => c.querySelector("code")).filter((code) => code && code.getClientRects().length > 1).map((code) => code.textContent));
  check(wrapped.length === 0, `property names should never wrap: ${wrapped}`);
  page.expectDialog = (dialog) => dialog.accept();
}

const TRIGGERED = (ns) => `id: triggered
namespace: ${ns}
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hello
triggers:
  - id: weekdays
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 9 * * 1-5"
    timezone: Europe/Paris
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: abc-123
  - id: upstream
    type: io.kestra.plugin.core.trigger.Flow
    conditions:
      - type: io.kestra.plugin.core.condition.ExecutionStatus
        in: [FAILED, WARNING]
      - type: io.kestra.plugin.core.condition.ExecutionFlow
        namespace: ${ns}
        flowId: nightly
`;

/** Item 6: the Triggers tab says what each trigger listens to: a Schedule's cron and its next three fire times,
 * a Webhook's URL (with a copy button) and key, a Flow trigger's conditions; Restart only for Schedules. */
async function triggerDetails(page, base) {
  const ns = `e2e.newcomer.t${uid()}`;
  await deploy(base, TRIGGERED(ns));
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  await page.goto(`${base}/ui/flows/${ns}/triggered/triggers`);
  const schedule = page.locator('tr[data-trigger="weekdays"]');
  await schedule.getByText("0 9 * * 1-5").waitFor();
  await schedule.getByText("Europe/Paris").waitFor();
  const next = schedule.getByRole("list", { name: "Next fire times of weekdays" });
  await next.waitFor();
  const times = await next.locator("time").evaluateAll((ts) => ts.map((t) => t.getAttribute("datetime")));
  check(times.length === 3, `three next fire times, got ${times}`);
  const instants = times.map((t) => new Date(t));
  check(instants.every((d, i) => i === 0 || d > instants[i - 1]) && instants[0] > new Date(), `ascending, in the future: ${times}`);
  check(instants.every((d) => d.getUTCDay() >= 1 && d.getUTCDay() <= 5), `weekdays only: ${times}`);
  await schedule.getByRole("button", { name: "Restart weekdays" }).waitFor();

  const hook = page.locator('tr[data-trigger="hook"]');
  const url = `${base}/api/v1/main/executions/webhook/${ns}/triggered/abc-123`;
  await hook.getByText(url).waitFor();
  await hook.getByRole("button", { name: "Copy the webhook URL of hook" }).click();
  await hook.getByRole("button", { name: "Copied the webhook URL of hook" }).waitFor();
  check(await page.evaluate(() => navigator.clipboard.readText()) === url, "the webhook URL should be copied");
  check(await hook.getByRole("button", { name: "Restart hook" }).count() === 0, "a webhook has nothing to restart");

  const upstream = page.locator('tr[data-trigger="upstream"]');
  const conditions = await upstream.getByRole("list", { name: "Conditions of upstream" }).innerText();
  check(conditions.includes("ExecutionStatus") && conditions.includes("FAILED") && conditions.includes("nightly"), `conditions: ${conditions}`);
  check(await upstream.getByRole("button", { name: "Restart upstream" }).count() === 0, "a flow trigger has nothing to restart");
  const response = await fetch(url, { method: "POST" });
  check(response.ok, `the shown URL should start an execution: ${response.status}`);
}

/** The README's screenshots at 1440×900: the editor (docs panel on the cursor's task), a failed execution's
 * overview and the Triggers tab. Written to $LEGATO_SCREENSHOTS (docs/screenshots to refresh the README's). */
async function screenshots(page, base) {
  const { mkdirSync } = await import("node:fs");
  const dir = process.env.LEGATO_SCREENSHOTS ?? "test-results/ui/screenshots";
  mkdirSync(dir, { recursive: true });
  await page.setViewportSize({ width: 1440, height: 900 });
  const ns = `demo.s${uid()}`;

  await page.goto(`${base}/ui/flows/tutorial/hello/editor`);
  await page.getByText("✓ Valid flow").waitFor();
  await toLineEnd(page, 10);
  await page.getByRole("article", { name: /^Documentation of / }).getByRole("rowheader").first().waitFor();
  await page.waitForTimeout(500);
  await page.screenshot({ path: `${dir}/editor.png` });

  await deploy(base, FAILING(ns));
  const failed = await runToEnd(base, ns, "failing");
  await page.goto(`${base}/ui/executions/${failed}`);
  await page.getByRole("region", { name: "Why it failed" }).waitFor();
  await page.screenshot({ path: `${dir}/failed-execution.png` });

  await deploy(base, TRIGGERED(ns));
  await page.goto(`${base}/ui/flows/${ns}/triggered/triggers`);
  await page.getByRole("list", { name: "Next fire times of weekdays" }).waitFor();
  await page.screenshot({ path: `${dir}/triggers.png` });
  console.log(`screenshots: ${dir}/editor.png, ${dir}/failed-execution.png, ${dir}/triggers.png`);
}

/** Item 12: each page names itself in the browser tab, and the app has an icon. */
async function pageTitles(page, base) {
  await page.goto(`${base}/ui/flows/tutorial/hello/executions`);
  await page.waitForFunction(() => document.title === "tutorial.hello · Executions · Legato");
  await page.getByRole("navigation", { name: "Flow views" }).getByRole("link", { name: "Triggers", exact: true }).click();
  await page.waitForFunction(() => document.title === "tutorial.hello · Triggers · Legato");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Executions" }).click();
  await page.waitForFunction(() => document.title === "Executions · Legato");
  const icon = await page.locator('link[rel="icon"]').getAttribute("href");
  const response = await fetch(new URL(icon, page.url()));
  check(response.ok && (response.headers.get("content-type") ?? "").includes("svg"), `the icon should load: ${icon} ${response.status}`);
}

/** Open a flow's page and run it from its Execute dialog; the execution's page once it is in `state`. */
async function executeFromFlowPage(page, base, ns, id, state) {
  await page.goto(`${base}/ui/flows/${ns}/${id}`);
  await page.getByRole("button", { name: "Execute" }).click();
  await page.getByRole("dialog", { name: `Execute ${ns}.${id}` }).getByRole("button", { name: "Execute" }).click();
  await page.waitForURL(/\/ui\/executions\/[^/]+$/);
  await stateIs(page, state, 30_000);
}

/** The newcomer's whole first flow, from the keyboard: type it in the editor (Enter and Shift+Tab do the
 * indentation), save, run, read why it failed, fix the line, save, run green, delete it. */
async function newcomerRun(page, base) {
  const ns = `e2e.newcomer.run${uid()}`;
  const started = Date.now();
  await page.goto(`${base}/ui/flows/new`);
  const box = page.getByRole("textbox", { name: "Flow YAML source" });
  await box.waitFor({ state: "attached" });
  await box.focus();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  // Typed as a person types it: Enter keeps or deepens the indentation as YAML needs, Shift+Tab steps back out
  // to the list of tasks (a line starting with "<").
  const typed = [`id: first_day`, `namespace: ${ns}`, "tasks:", "- id: hello", "type: io.kestra.plugin.core.log.Log",
    "message: Reading the status", "<- id: read", "type: io.kestra.plugin.scripts.shell.Commands", "commands:",
    "- cat status.txt"];
  for (const [i, line] of typed.entries()) {
    if (i > 0) await page.keyboard.press("Enter");
    if (line.startsWith("<")) await page.keyboard.press("Shift+Tab");
    await page.keyboard.type(line.replace(/^</, ""), { delay: 15 });
    // A completion list may open a moment after the last key (task types come from the server): let it, then
    // close it, so that the next Enter starts a new line instead of picking a suggestion.
    await page.waitForTimeout(300);
    await page.keyboard.press("Escape");
  }
  const expected = [`id: first_day`, `namespace: ${ns}`, "tasks:", "  - id: hello", "    type: io.kestra.plugin.core.log.Log",
    "    message: Reading the status", "  - id: read", "    type: io.kestra.plugin.scripts.shell.Commands",
    "    commands:", "      - cat status.txt"];
  const lines = await editorLines(page);
  check(JSON.stringify(lines.slice(0, expected.length)) === JSON.stringify(expected),
    `the typed flow should be indented as YAML, got:\n${lines.join("\n")}`);
  await page.getByText("✓ Valid flow").waitFor();
  await page.getByRole("button", { name: "Save" }).click();
  await page.waitForURL(new RegExp(`/ui/flows/${ns.replaceAll(".", "\\.")}/first_day/editor$`));
  await page.getByText(/revision 1$/).waitFor();

  await executeFromFlowPage(page, base, ns, "first_day", "FAILED");
  const why = page.getByRole("region", { name: "Why it failed" });
  const reason = await why.innerText();
  check(reason.includes("read") && reason.includes("exit code 1"), `the failure should name the task and its exit code, got: ${reason}`);
  await why.getByRole("link", { name: "Log lines of read" }).waitFor();

  await page.goto(`${base}/ui/flows/${ns}/first_day/editor`);
  await toLineEnd(page, 10);
  await page.keyboard.press("Shift+Home");
  await typeText(page, "- echo ready");
  await page.getByText("✓ Valid flow").waitFor();
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("status").getByText("Saved revision 2").waitFor();
  await executeFromFlowPage(page, base, ns, "first_day", "SUCCESS");

  await page.goto(`${base}/ui/flows/${ns}/first_day`);
  await page.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("alertdialog", { name: "Confirm delete" }).getByRole("button", { name: "Delete" }).click();
  await page.getByText(`Deleted flow ${ns}.first_day.`).waitFor();
  console.log(`newcomer run: typed, saved, failed, fixed, green and deleted in ${((Date.now() - started) / 1000).toFixed(1)} s wall (goal <= 60 s)`);
}

export const NEWCOMER_SCENARIOS = {
  newcomer_run: newcomerRun,
  page_titles: pageTitles,
  screenshots,
  trigger_details: triggerDetails,
  plugin_docs: pluginDocs,
  descriptions,
  save_errors: saveErrors,
  execution_filters: executionFilters, failure_reason: failureReason, attempt_numbers: attemptNumbers, editor_indentation: editorIndentation };
