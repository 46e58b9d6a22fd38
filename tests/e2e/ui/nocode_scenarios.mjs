// Browser scenarios of the no-code editing of a flow: the form of a task and "add task" from the topology.
// Imported by browser.mjs, which runs them (and saves a screenshot on failure).
import { showTheme, violations } from "./a11y_scenarios.mjs";
import { api, check, deploy, stateIs, uid } from "./support.mjs";

const flowSource = (id) => `id: ${id}
namespace: e2e.nocode
# Written by hand, then edited without code.
tasks:
  - id: first   # the greeting
    type: io.kestra.plugin.core.log.Log
    message: Hello from the first task
  - id: branch
    type: io.kestra.plugin.core.flow.If
    condition: "{{ true }}"
    then:
      - id: inside
        type: io.kestra.plugin.core.log.Log
        message: inside the branch # kept
`;

/** The flow's YAML after the form's edits: the two new tasks at their places, every other line as written. */
const expectedSource = (id) => flowSource(id)
  .replace("    message: Hello from the first task\n", `    message: Hello from the first task
  - id: second
    type: io.kestra.plugin.core.log.Log
    message: Added without code by {{ flow.id }}
    level: WARN
`)
  .replace("inside the branch # kept\n", `inside the branch # kept
      - id: nested
        type: io.kestra.plugin.core.log.Log
        message: nested too
`);

/** axe over the editor as it is, in the light and the dark theme (set on the page: a modal dialog may be open). */
async function bothThemes(page, where) {
  const problems = [];
  for (const theme of ["light", "dark"]) {
    await showTheme(page, theme);
    for (const line of await violations(page)) problems.push(`${theme} ${where}: ${line}`);
  }
  await showTheme(page, "light");
  check(problems.length === 0, `${problems.length} accessibility problems:\n${problems.join("\n")}`);
}

/** Add a task from the topology: the task's actions, then the dialog (type searched and picked, id typed). */
async function addTask(page, node, action, search, type, id) {
  await page.getByRole("button", { name: node }).click();
  await page.getByRole("group", { name: /^Actions of task / }).getByRole("button", { name: action }).click();
  const dialog = page.getByRole("dialog", { name: new RegExp(`^Add a task ${action.split(" ")[1]} `) });
  await dialog.getByLabel("Search task types").fill(search);
  await dialog.getByRole("listbox", { name: /^Task type/ }).selectOption(type);
  await dialog.getByLabel("Task id").fill(id);
  return dialog;
}

/** A flow with comments: a Log task added after the first one from the topology, its message and level set in the
 * form (a wrong duration and an empty required message are flagged at their fields, a key mistyped in the code
 * is listed with the server's words), a Log added inside the If,
 * the cursor in the YAML selecting a task; the YAML changes in place only (comments kept); saved, run: the new
 * tasks' log lines show. */
async function noCodeEditing(page, base) {
  const id = `nocode_${uid()}`;
  await deploy(base, flowSource(id));
  await page.goto(`${base}/ui/flows/e2e.nocode/${id}/editor?panel=topology`);
  await page.getByRole("img", { name: "Topology: 3 tasks" }).waitFor();

  const dialog = await addTask(page, "Task first (Log)", "Add after", "core.log.Log", "log.Log", "second");
  await bothThemes(page, "add-task dialog");
  await dialog.getByRole("button", { name: "Add" }).click();
  await dialog.waitFor({ state: "detached" });

  // The form shows the new task, its required message first with its placeholder.
  const form = page.getByRole("form", { name: "Properties of task second" });
  await form.waitFor();
  check(await page.getByRole("tab", { name: "Form" }).getAttribute("aria-selected") === "true", "the form should open on the new task");
  const message = form.getByLabel("message", { exact: true });
  check(await message.inputValue() === "<message>", `the message should start with a placeholder, got ${await message.inputValue()}`);
  await page.waitForFunction(() => document.activeElement?.closest("form")?.getAttribute("aria-label") === "Properties of task second");
  check(await message.evaluate((e) => e === document.activeElement), "the focus should be on the new task's required message");
  await page.locator(".view-line", { hasText: "id: second" }).waitFor();

  // Validation per field: nothing reaches the YAML until the value is valid.
  await message.fill("");
  await form.getByText("message is required.").waitFor();
  await form.getByText("Common properties").click();
  const timeout = form.getByLabel("timeout", { exact: true });
  await timeout.fill("5 minutes");
  await form.getByText("A duration in ISO 8601").waitFor();
  check(await timeout.getAttribute("aria-invalid") === "true", "the wrong duration should mark its input invalid");
  await timeout.fill("");
  await message.fill("Added without code by {{ flow.id }}");
  await form.getByLabel("level", { exact: true }).selectOption("WARN");
  await page.locator(".view-line", { hasText: "level: WARN" }).waitFor();
  // A choice may also be written as an expression: plain text there is flagged, and back to the choice, WARN stays.
  await form.getByLabel("Write level as").selectOption("string");
  await form.getByLabel("level", { exact: true }).fill("LOUD");
  await form.getByText("An expression, such as").waitFor();
  await form.getByLabel("Write level as").selectOption("enum");
  check(await form.getByLabel("level", { exact: true }).inputValue() === "WARN", "back to the choice, the YAML's WARN shows");
  // The server's checks show in the form too: a key typed in the code that the type does not have.
  await page.locator(".view-line", { hasText: "level: WARN" }).click();
  await page.keyboard.press("End");
  await page.keyboard.press("Enter");
  await page.keyboard.type("mesage: oops");
  const reported = form.getByRole("list", { name: "Problems of task second" });
  await reported.getByText("mesage: unknown property 'mesage'").waitFor();
  await bothThemes(page, "task form");
  await page.keyboard.press("Shift+Home");
  await page.keyboard.press("Shift+Home");
  await page.keyboard.press("Backspace");
  await page.keyboard.press("Backspace");
  await reported.waitFor({ state: "detached" });

  // Add inside the If: the dialog offers its task lists.
  await page.getByRole("tab", { name: "Topology" }).click();
  await page.getByRole("img", { name: "Topology: 4 tasks" }).waitFor();
  const inside = await addTask(page, "Task branch (If)", "Add inside", "log Log", "log.Log", "nested");
  check(await inside.getByLabel("Into").inputValue() === "then", "a task goes into then by default");
  await inside.getByRole("button", { name: "Add" }).click();
  const nested = page.getByRole("form", { name: "Properties of task nested" });
  await nested.getByLabel("message", { exact: true }).fill("nested too");

  // The cursor in a task's YAML block selects that task in the form.
  await page.locator(".view-line", { hasText: "Hello from the first task" }).click();
  await page.getByRole("form", { name: "Properties of task first" }).waitFor();

  await page.getByText("✓ Valid flow").waitFor();
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByText("Saved revision 2").waitFor();
  const stored = await api(base, "GET", `/flows/e2e.nocode/${id}?source=true`);
  check(stored.source === expectedSource(id), `the YAML should change in place only, got:\n${stored.source}`);

  await page.getByRole("link", { name: "Overview" }).click();
  await page.getByRole("button", { name: "Execute" }).click();
  await page.getByRole("dialog", { name: `Execute e2e.nocode.${id}` }).getByRole("button", { name: "Execute" }).click();
  await page.waitForURL(/\/ui\/executions\/[^/]+$/);
  await stateIs(page, "SUCCESS");
  await page.getByRole("link", { name: "Logs" }).click();
  const logs = page.getByRole("log", { name: "Logs" });
  await logs.getByText(`Added without code by ${id}`).waitFor();
  await logs.getByText("nested too").waitFor();
}

export const NOCODE_SCENARIOS = { nocode_editing: noCodeEditing };
