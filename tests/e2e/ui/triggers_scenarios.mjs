// Browser scenario of the global Triggers page: triggers of two namespaces listed, filtered (URL-synced), one
// disabled and enabled (checked through the API), bulk disable/enable, a Schedule backfilled from its dialog
// (its executions appear), a waiting Schedule unlocked, a failing trigger's error shown, axe-core on the page in
// both themes. Run by browser.mjs.
import { checkPages } from "./a11y_scenarios.mjs";
import { BROKEN } from "./pages_scenarios.mjs";
import { api, check, deploy, uid } from "./support.mjs";

const HOURLY = (ns) => `id: nightly
namespace: ${ns}
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "fired for {{ trigger.date ?? 'nothing' }}"
triggers:
  - id: hourly
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 * * * *"
`;

const HOOK = (ns) => `id: hook
namespace: ${ns}
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: called
triggers:
  - id: incoming
    type: io.kestra.plugin.core.trigger.Webhook
    key: k${uid()}
`;

const WAITING = (ns) => `id: waiting
namespace: ${ns}
tasks:
  - id: hold
    type: io.kestra.plugin.core.flow.Pause
    pauseDuration: PT1H
triggers:
  - id: every_second
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "* * * * * *"
    withSeconds: true
`;

/** Poll `read` until `ok` holds of its answer (generous: the machine may be busy). */
async function until(read, ok, what, timeout = 45_000) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await read();
    if (ok(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`${what}; last answer: ${JSON.stringify(last)}`);
}

async function triggersPage(page, base) {
  const tag = uid();
  // The Webhook's namespace sorts first: sorting by next date (the Webhook has none) puts it last.
  const hookNs = `e2e.trig${tag}.a`;
  const schedNs = `e2e.trig${tag}.b`;
  await deploy(base, HOURLY(schedNs));
  await deploy(base, HOOK(hookNs));
  const sched = page.locator(`tr[data-trigger="${schedNs}.nightly.hourly"]`);
  const hook = page.locator(`tr[data-trigger="${hookNs}.hook.incoming"]`);
  const disabledOf = async (ns, flow) => (await api(base, "GET", `/triggers/${ns}/${flow}`)).results[0].disabled;

  // From the main navigation; then filtered by text (the URL keeps it).
  await page.goto(`${base}/ui/`);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Triggers" }).click();
  await page.waitForURL(/\/ui\/triggers$/);
  await page.getByRole("heading", { name: "Triggers", level: 1 }).waitFor();
  check(await page.title() === "Triggers · Legato", `page title: ${await page.title()}`);
  await page.getByLabel("Search").fill(`trig${tag}`);
  await page.waitForURL(new RegExp(`q=e2e.trig${tag}|q=trig${tag}`));
  await sched.waitFor();
  await hook.waitFor();
  check((await sched.locator("td").nth(4).innerText()).trim() === "Schedule", "the type column shows the short name");
  check((await hook.locator("td").nth(4).innerText()).trim() === "Webhook", "the webhook's type shows its short name");
  await sched.getByRole("link", { name: "nightly" }).waitFor();
  await sched.locator("time").first().waitFor();  // its next date
  check(await sched.getByRole("button", { name: `Backfill ${schedNs}.nightly.hourly` }).count() === 1, "a Schedule offers Backfill");
  check(await hook.getByRole("button", { name: /^Backfill / }).count() === 0, "a Webhook has no backfill");
  check(await hook.getByRole("button", { name: /^Restart / }).count() === 0, "a Webhook has nothing to restart");
  check(await hook.getByRole("button", { name: /^Unlock / }).count() === 0, "an unlocked trigger offers no Unlock");

  // The namespace filter, also in the URL; a reload keeps both filters.
  await page.getByLabel("Namespace").selectOption(hookNs);
  await page.waitForURL(/namespace=/);
  await sched.waitFor({ state: "detached" });
  await page.reload();
  await hook.waitFor();
  check(await sched.count() === 0, "the namespace filter survives a reload");
  check(await page.getByLabel("Search").inputValue() === `trig${tag}`, "the text filter survives a reload");
  await page.getByLabel("Namespace").selectOption("");
  await sched.waitFor();
  const rows = page.locator("tbody tr[data-trigger]");
  check(await rows.first().getAttribute("data-trigger") === `${hookNs}.hook.incoming`, "by namespace first");
  await page.getByLabel("Sort by").selectOption("nextExecutionDate:asc");
  await page.waitForURL(/sort=nextExecutionDate/);
  await until(() => rows.first().getAttribute("data-trigger"), (first) => first === `${schedNs}.nightly.hourly`,
    "sorted by next date, the Schedule comes first");

  // One trigger disabled, then enabled again, from its switch; the API agrees each time.
  const toggle = sched.getByRole("switch", { name: `Enable ${schedNs}.nightly.hourly` });
  check(await toggle.isChecked(), "the Schedule should start enabled");
  await toggle.uncheck();
  await sched.getByText("disabled", { exact: true }).waitFor();
  await until(() => disabledOf(schedNs, "nightly"), (d) => d === true, "the API should say disabled");
  await toggle.check();
  await sched.getByText("enabled", { exact: true }).waitFor();
  await until(() => disabledOf(schedNs, "nightly"), (d) => d === false, "the API should say enabled again");

  // Bulk: both selected and disabled, then both enabled.
  await page.getByRole("checkbox", { name: "Select all on this page" }).check();
  const bar = page.getByRole("toolbar", { name: "Bulk actions" });
  await bar.getByText("2 selected").waitFor();
  await bar.getByRole("button", { name: "Disable selected" }).click();
  await page.getByRole("status").getByText("2 triggers disabled.").waitFor();
  await hook.getByText("disabled", { exact: true }).waitFor();
  check(await disabledOf(hookNs, "hook") === true && await disabledOf(schedNs, "nightly") === true, "both disabled in the API");
  check(await bar.count() === 0, "the bulk bar goes with the selection");
  await page.getByRole("checkbox", { name: "Select all on this page" }).check();
  await bar.getByRole("button", { name: "Enable selected" }).click();
  await page.getByRole("status").getByText("2 triggers enabled.").waitFor();
  await sched.getByText("enabled", { exact: true }).waitFor();
  check(await disabledOf(hookNs, "hook") === false && await disabledOf(schedNs, "nightly") === false, "both enabled in the API");

  // Backfill the Schedule over the last few hours, from its dialog: one execution per hour in the window.
  await sched.getByRole("button", { name: `Backfill ${schedNs}.nightly.hourly` }).click();
  const dialog = page.getByRole("dialog", { name: `Backfill ${schedNs}.nightly.hourly` });
  await dialog.waitFor();
  // datetime-local takes the browser's local time: build the values in the page.
  const [start, end] = await page.evaluate(() => {
    const local = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    const now = Date.now();
    return [local(new Date(now - 3.5 * 3_600_000)), local(new Date(now - 1_800_000))];
  });
  await dialog.getByLabel("Start").fill(start);
  await dialog.getByLabel(/^End/).fill(end);
  await dialog.getByRole("button", { name: "Start backfill" }).click();
  await dialog.waitFor({ state: "detached" });
  const executions = await until(
    () => api(base, "GET", `/executions/search?namespace=${schedNs}&flowId=nightly&size=50`),
    (page) => page.total >= 3, "the backfill should start one execution per hour of the window");
  check(executions.total <= 4, `3 or 4 hourly dates in 3 h, got ${executions.total}`);
  await sched.getByText(/Backfill( paused)?: \d+ started/).waitFor();

  // A Schedule that waits for its paused execution is unlocked from its row: it fires again (a new execution).
  await deploy(base, WAITING(schedNs));
  const waiting = page.locator(`tr[data-trigger="${schedNs}.waiting.every_second"]`);
  const lockOf = async () => (await api(base, "GET", `/triggers/${schedNs}/waiting`)).results[0].executionId;
  const first = await until(lockOf, (id) => !!id, "the every-second Schedule should wait for its paused execution");
  await waiting.getByRole("link", { name: first.slice(0, 10) }).waitFor();
  await waiting.getByRole("button", { name: `Unlock ${schedNs}.waiting.every_second` }).click();
  await until(lockOf, (id) => id !== first, "the unlocked trigger should stop waiting for its first execution");
  await waiting.getByRole("link", { name: first.slice(0, 10) }).waitFor({ state: "detached" });
  await waiting.getByRole("switch", { name: `Enable ${schedNs}.waiting.every_second` }).uncheck();
  await until(() => disabledOf(schedNs, "waiting"), (d) => d === true, "the every-second Schedule should end disabled");

  // A trigger that cannot be evaluated says why on its row (the server's scheduler ticks it every second).
  await deploy(base, BROKEN(schedNs));
  const failing = page.getByRole("alert", { name: `Error of ${schedNs}.broken.every_second` });
  await failing.getByText(/Undefined variable 'trigger\.nothing'/).waitFor({ timeout: 30_000 });

  await checkPages(page, base, [`/ui/triggers?q=trig${tag}`]);
  await page.goto(`${base}/ui/triggers?q=trig${tag}`);
  await page.getByRole("switch", { name: `Enable ${schedNs}.broken.every_second` }).uncheck();
  await until(() => disabledOf(schedNs, "broken"), (d) => d === true, "the failing trigger should end disabled");
}

export const TRIGGERS_SCENARIOS = { triggers_page: triggersPage };
