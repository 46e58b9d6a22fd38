// Browser scenarios of the AI copilot, against a server whose model is the scripted test double (its answers are
// set by test_web_ui_copilot.py before each scenario): ask in a flow's editor, see the diff of the valid proposal,
// accept, save; "Fix with AI" from a failed execution; and a server without a model shows neither. Run by browser.mjs.
import { violations } from "./a11y_scenarios.mjs";
import { api, check, deploy, uid } from "./support.mjs";

const REPORT = `id: nightly_report
namespace: e2e.ai
tasks:
  - id: fetch
    type: io.kestra.plugin.core.http.Download
    uri: https://example.com/old.csv
`;

const BROKEN = (ns) => `id: broken
namespace: ${ns}
tasks:
  - id: check
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: "the upstream file is missing"
`;

/** axe-core on the page as it is, in the light theme and in the dark one (the header's toggle keeps the page). */
async function bothThemes(page, where) {
  const problems = [];
  for (let i = 0; i < 2; i++) {
    const theme = await page.evaluate(() => document.documentElement.dataset.theme ?? "light");
    for (const line of await violations(page)) problems.push(`${theme} ${where}: ${line}`);
    await page.getByRole("button", { name: "Dark mode" }).click();
  }
  check(problems.length === 0, `${problems.length} accessibility problems:\n${problems.join("\n")}`);
}

async function failedExecution(base, ns) {
  await deploy(base, BROKEN(ns));
  const started = await api(base, "POST", `/executions/${ns}/broken`);
  for (let i = 0; i < 200; i++) {
    const found = await api(base, "GET", `/executions/${started.id}`);
    if (found.state.current === "FAILED") return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`execution ${started.id} did not fail`);
}

async function copilot(page, base) {
  await deploy(base, REPORT);
  await page.goto(`${base}/ui/flows/e2e.ai/nightly_report/editor`);
  await page.getByText("✓ Valid flow").waitFor();
  await page.getByRole("button", { name: "AI Copilot" }).click();
  const panel = page.getByRole("complementary", { name: "AI Copilot panel" });
  await panel.getByRole("heading", { name: "AI Copilot" }).waitFor();
  await panel.getByLabel("What should the flow do, or what should change?")
    .fill("Download sales.csv instead and log where it went");
  await panel.getByRole("button", { name: "Ask" }).click();
  // the model's first answer was invalid: only the repaired one shows, after 2 answers
  await panel.getByRole("status").getByText("Valid flow after 2 answers: +4 −1 lines.").waitFor();
  const diff = await panel.getByLabel("Proposed change").innerText();
  check(diff.includes("-    uri: https://example.com/old.csv") && diff.includes("+    uri: https://example.com/sales.csv"),
    `the diff should change the uri, got:\n${diff}`);
  check(!diff.includes("mesage"), "the invalid answer is never shown");
  await bothThemes(page, "copilot panel with a proposal");

  await panel.getByRole("button", { name: "Accept" }).click();
  await panel.waitFor({ state: "detached" });
  await page.getByLabel("Unsaved changes").waitFor();
  await page.getByText("✓ Valid flow").waitFor();
  const before = await api(base, "GET", "/flows/e2e.ai/nightly_report?source=true");
  check(before.source.includes("old.csv"), "accepting does not save");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByText(`Saved revision ${before.revision + 1}`).waitFor();
  const after = await api(base, "GET", "/flows/e2e.ai/nightly_report?source=true");
  check(after.source.includes("sales.csv") && after.source.includes("downloaded {{ outputs.fetch.uri }}"),
    `the saved flow should be the proposal, got:\n${after.source}`);

  // Reject closes the panel and changes nothing
  await page.getByRole("button", { name: "AI Copilot" }).click();
  await panel.getByRole("button", { name: "Close the copilot" }).click();
  await panel.waitFor({ state: "detached" });
  await page.getByRole("tab", { name: "Documentation" }).waitFor();
}

async function fixWithAi(page, base) {
  const failed = await failedExecution(base, "e2e.ai");
  await page.goto(`${base}/ui/executions/${failed.id}`);
  await page.getByRole("heading", { name: "Why it failed" }).waitFor();
  await page.getByRole("button", { name: "Fix with AI" }).click();
  await page.waitForURL(/\/ui\/flows\/e2e\.ai\/broken\/editor\?fix=/);
  const panel = page.getByRole("complementary", { name: "AI Copilot panel" });
  await panel.getByText(failed.id).waitFor();
  await panel.getByRole("status").getByText(/^Valid flow after 1 answer:/).waitFor();
  await panel.getByText("From what failed: check.").waitFor();
  const diff = await panel.getByLabel("Proposed change").innerText();
  check(diff.includes('-    errorMessage: "the upstream file is missing"')
    && diff.includes(`+    condition: "{{ execution.id == 'never' }}"`), `the diff should be the fix, got:\n${diff}`);
  await bothThemes(page, "Fix with AI");
  await panel.getByRole("button", { name: "Accept" }).click();
  check(!new URL(page.url()).searchParams.has("fix"), "accepting closes the fix");
  await page.getByText("✓ Valid flow").waitFor();
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByText(/^Saved revision \d+$/).waitFor();
  const saved = await api(base, "GET", "/flows/e2e.ai/broken?source=true");
  check(saved.source.includes("condition:"), `the fix should be saved, got:\n${saved.source}`);
}

async function copilotHidden(page, base) {
  const ns = `e2e.noai.${uid()}`;
  const failed = await failedExecution(base, ns);
  await page.goto(`${base}/ui/executions/${failed.id}`);
  await page.getByRole("heading", { name: "Why it failed" }).waitFor();
  await page.waitForLoadState("networkidle");
  check(await page.getByRole("button", { name: "Fix with AI" }).count() === 0, "no Fix with AI without a model");
  await page.goto(`${base}/ui/flows/${ns}/broken/editor?copilot=1`);
  await page.getByText("✓ Valid flow").waitFor();
  await page.waitForLoadState("networkidle");
  check(await page.getByRole("button", { name: "AI Copilot" }).count() === 0, "no copilot button without a model");
  check(await page.getByRole("complementary", { name: "AI Copilot panel" }).count() === 0, "no copilot panel");
}

export const COPILOT_SCENARIOS = { copilot, fix_with_ai: fixWithAi, copilot_hidden: copilotHidden };
