// Accessibility of every section, checked by axe-core (the rules about names, roles, ARIA and structure that
// a keyboard or screen-reader user depends on) in the light and the dark theme. Run by browser.mjs.
import { createRequire } from "node:module";
import { api } from "./support.mjs";

const require = createRequire(new URL("../../../ui/package.json", import.meta.url));
const AXE = require.resolve("axe-core/axe.min.js");

const RULES = [
  "button-name", "link-name", "label", "select-name", "input-button-name", "image-alt", "svg-img-alt", "role-img-alt",
  "aria-valid-attr", "aria-valid-attr-value", "aria-required-attr", "aria-required-children", "aria-required-parent",
  "aria-allowed-attr", "aria-allowed-role", "aria-command-name", "aria-input-field-name", "aria-toggle-field-name",
  "aria-hidden-focus", "document-title", "html-has-lang", "duplicate-id-aria", "nested-interactive", "tabindex",
  "list", "listitem", "definition-list", "dlitem", "th-has-data-cells", "scrollable-region-focusable",
  "color-contrast",
];

/** Show the page in `theme` (set on the page: a modal dialog may be open) once every code editor on it has taken
 * the theme too: the editor follows the page's theme a render later, and axe run in between sees the other
 * theme's token colours on this theme's background. */
export async function showTheme(page, theme) {
  await page.evaluate((t) => { document.documentElement.dataset.theme = t; }, theme);
  await page.waitForFunction((dark) => [...document.querySelectorAll(".monaco-editor")]
    .every((editor) => editor.classList.contains("vs-dark") === dark), theme === "dark");
}

/** The axe violations of the page as it is, one line per rule and element. */
export async function violations(page) {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async (rules) => {
    const result = await window.axe.run(document, { runOnly: { type: "rule", values: rules } });
    return result.violations.map((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(" ")} — ${n.failureSummary.split("\n")[1]?.trim() ?? v.help}`)).flat();
  }, RULES);
  return found;
}

const FAILING = `id: failing
namespace: e2e.a11y
tasks:
  - id: load
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: the input file is missing
`;

/** The flow sections: lists, a flow's pages and its editor's panels. */
async function accessibility(page, base) {
  await checkPages(page, base, [
    "/ui/", "/ui/dashboard", "/ui/flows", "/ui/flows/tutorial/hello", "/ui/flows/tutorial/hello/editor",
    "/ui/flows/tutorial/hello/editor?panel=form", "/ui/flows/tutorial/hello/editor?panel=topology",
    "/ui/flows/tutorial/hello/revisions", "/ui/flows/tutorial/hello/triggers", "/ui/triggers",
  ]);
}

/** The executions: a successful one's tabs, and a failed one whose overview says why and whose Gantt unfolds the
 * failed task's logs. */
async function executionsAccessibility(page, base) {
  const done = await api(base, "POST", "/executions/tutorial/hello?wait=true", new FormData());
  await api(base, "POST", "/flows", FAILING, { "Content-Type": "application/x-yaml" });
  const failed = await api(base, "POST", "/executions/e2e.a11y/failing?wait=true", new FormData());
  await checkPages(page, base, [
    "/ui/executions", `/ui/executions/${done.id}`, `/ui/executions/${done.id}/gantt`,
    `/ui/executions/${done.id}/logs`, `/ui/executions/${done.id}/outputs`, `/ui/executions/${failed.id}`,
    `/ui/executions/${failed.id}/gantt`,
    `/ui/executions/${failed.id}/logs?taskRunId=${failed.taskRunList.at(-1)?.id}&show=error`,
  ]);
}

/** Namespaces and their tabs, blueprints, plugins, settings, the audit log. */
async function namespacesAccessibility(page, base) {
  await checkPages(page, base, [
    "/ui/namespaces", "/ui/namespaces/tutorial/kv", "/ui/namespaces/tutorial/secrets",
    "/ui/namespaces/tutorial/files", "/ui/blueprints", "/ui/plugins", "/ui/settings", "/ui/audit",
  ]);
}

/** One's account and the administration sections (in open mode: the owner's view); the sign-in page is checked
 * where it shows, with users (identity_scenarios.mjs). */
async function identityAccessibility(page, base) {
  await checkPages(page, base, [
    "/ui/admin/users", "/ui/admin/groups", "/ui/admin/roles",
    "/ui/admin/bindings", "/ui/admin/service-accounts", "/ui/admin/integrations", "/ui/admin/tenants", "/ui/account",
  ]);
}

/** axe over each page in both themes; throws with every violation found. */
export async function checkPages(page, base, pages) {
  const problems = [];
  for (const theme of ["light", "dark"]) {
    await page.goto(`${base}/ui/settings`);
    await page.getByRole("radio", { name: theme === "dark" ? "Dark" : "Light" }).check();
    for (const path of pages) {
      await page.goto(base + path);
      await page.getByRole("heading", { level: 1 }).first().waitFor();
      await page.waitForLoadState("networkidle");
      for (const line of await violations(page)) problems.push(`${theme} ${path}: ${line}`);
    }
  }
  await page.evaluate(() => { localStorage.clear(); });
  if (problems.length) throw new Error(`${problems.length} accessibility problems:\n${problems.join("\n")}`);
}

export const A11Y_SCENARIOS = {
  accessibility, executions_accessibility: executionsAccessibility, namespaces_accessibility: namespacesAccessibility,
  identity_accessibility: identityAccessibility,
};
