// Browser scenario of apps: the example "Request access" app (examples/apps/access_request.yaml) found in the
// catalogue, opened on its page without the UI around it, its form filled and sent, the approval (PAUSE) stage
// reached live, the request approved with a comment, the outputs shown; then the editor previews a stage of it.
// Run by browser.mjs.
import { readFileSync } from "node:fs";
import { checkPages } from "./a11y_scenarios.mjs";
import { setSource } from "./editor_scenarios.mjs";
import { api, check, deploy, uid } from "./support.mjs";

async function apps(page, base) {
  const who = `Ann ${uid()}`;
  await page.goto(`${base}/ui/apps`);
  await page.getByRole("heading", { name: "Apps", level: 1 }).waitFor();
  // The catalogue's card, not the editor link of the same name in "All apps" (the two lists load independently).
  await page.locator(".app-catalogue").getByRole("link", { name: "Request access" }).click();
  await page.waitForURL(/\/ui\/main\/apps\/access_request$/);
  await page.getByRole("heading", { name: "Request access", level: 1 }).waitFor();
  check((await page.getByRole("navigation", { name: "Main" }).count()) === 0, "an app's page shows no editor chrome");

  await page.getByLabel("Your name").fill(who);
  await page.getByLabel("System").selectOption("billing");
  await page.getByLabel("Why do you need it?").fill("month-end close");
  await page.getByLabel("Supporting document").setInputFiles({ name: "ticket.txt", mimeType: "text/plain",
    buffer: Buffer.from("ticket 4711") });
  await page.getByRole("button", { name: "Send request" }).click();
  await page.waitForURL(/\/ui\/main\/apps\/access_request\?execution=/);

  // the approval stage arrives live (the page follows its execution over SSE)
  await page.getByRole("status").getByText("Waiting for approval").waitFor();
  await page.getByText(`${who} asks for access to billing.`).waitFor();
  const inputs = page.getByLabel("Inputs");
  await inputs.getByText("month-end close").waitFor();
  await page.getByLabel("Comment for the requester").fill("approved for the close");
  check(await page.getByLabel("Approve").isChecked(), "Approve defaults to true");
  await page.getByRole("button", { name: "Answer" }).click();

  await page.getByText("Access to billing: granted.").waitFor();
  await page.getByRole("status").getByText("Done").waitFor();
  const outputs = page.getByLabel("Outputs");
  await outputs.getByText("granted", { exact: true }).waitFor();
  await outputs.getByText("approved for the close").waitFor();
  // the uploaded file comes back as a file output, downloaded through the app
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    outputs.getByRole("link", { name: "Download ticket.txt" }).click(),
  ]);
  const body = readFileSync(await download.path(), "utf-8");
  check(body === "ticket 4711", `the downloaded file: ${JSON.stringify(body)}`);
  // in a Grid beside the outputs: the inputs it keeps (requester and system, not the justification)
  await page.getByLabel("Inputs").getByText(who).waitFor();
  check((await page.getByLabel("Inputs").getByText("month-end close").count()) === 0, "the Inputs filter applies");
  const execution = new URL(page.url()).searchParams.get("execution");

  // the execution is an ordinary one, labelled with the app
  const found = await fetch(`${base}/api/v1/main/executions/${execution}`).then((r) => r.json());
  check(found.labels.some((l) => l.key === "system.app" && l.value === "access_request"), "labelled system.app");
  await page.goto(`${base}/ui/executions/${execution}`);
  await page.getByRole("link", { name: "access_request", exact: true }).waitFor();  // "Started from" the app
  await page.goto(`${base}/ui/main/apps/access_request?execution=${execution}`);
  await page.getByRole("link", { name: "Ask for something else" }).click();
  await page.waitForURL(/\/ui\/main\/apps\/access_request$/);
  await page.getByRole("button", { name: "Send request" }).waitFor();

  // the editor: the YAML beside a preview of the chosen stage
  await page.goto(`${base}/ui/apps/access_request/edit`);
  await page.getByLabel("App YAML").waitFor();
  await page.getByRole("link", { name: "Executions of this app" }).click();
  await page.getByRole("link", { name: execution.slice(0, 12) }).waitFor();
  await page.goBack();
  await page.getByLabel("Stage").selectOption("PAUSE");
  const preview = page.getByLabel("Preview");
  await preview.getByRole("button", { name: "Answer" }).waitFor();
  check(await preview.getByRole("button", { name: "Answer" }).isDisabled(), "a preview acts on nothing");
  const { sourceCode: source } = await api(base, "GET", "/apps/access_request");
  await setSource(page, "App YAML", source.replace("text: Answer", "text: Decide"));
  await preview.getByRole("button", { name: "Decide" }).waitFor();
  // a mistake is shown while typing, at its line in the editor too; Save stays possible
  await setSource(page, "App YAML", source.replace("style: WARNING", "style: LOUD"));
  await page.getByRole("alert").getByText(/line \d+: layout\[2\]\.blocks\[0\]\.style/).waitFor();
  await page.locator(".monaco-editor .squiggly-error").first().waitFor();
  check(await page.getByRole("button", { name: "Save", exact: true }).isEnabled(), "checks never block Save");

  await checkPages(page, base, ["/ui/apps", "/ui/main/apps/access_request", "/ui/apps/access_request/edit"]);
}

// An app's CreateExecutionForm checks the inputs as the flow does before anything is created: the browser checks
// what it can read (max, select values), the server the rest (a validator the browser's RegExp cannot read), and
// each error shows next to its field; a valid form then starts the execution.
async function app_form_checks(page, base) {
  const ns = `apps.checks${uid()}`;
  const appId = `order-${uid()}`;
  await deploy(base, `id: order
namespace: ${ns}
inputs:
  - id: customer
    type: STRING
    displayName: Customer
    validator: "(?i)[a-z]+ [a-z]+"
  - id: quantity
    type: INT
    displayName: Quantity
    min: 1
    max: 5
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.customer }} x{{ inputs.quantity }}"
`);
  await api(base, "POST", "/apps", `id: ${appId}
type: io.kestra.plugin.ee.apps.Execution
displayName: Order
namespace: ${ns}
flowId: order
access: PUBLIC
layout:
  - on: OPEN
    blocks:
      - type: io.kestra.plugin.ee.apps.execution.blocks.CreateExecutionForm
      - type: io.kestra.plugin.ee.apps.execution.blocks.CreateExecutionButton
        text: Order
`, { "Content-Type": "application/x-yaml" });
  const executions = async () => (await api(base, "GET", `/executions/search?namespace=${ns}`)).total;

  await page.goto(`${base}/ui/main/apps/${appId}`);
  await page.getByLabel("Customer").fill("ann");
  await page.getByLabel("Quantity").fill("9");
  await page.getByRole("button", { name: "Order" }).click();
  // the browser's check: next to the field, described by it
  await page.locator("#error-quantity").getByText("Quantity must be at most 5").waitFor();
  check((await page.getByLabel("Quantity").getAttribute("aria-describedby"))?.includes("error-quantity"),
    "the quantity's error describes its field");
  check((await page.locator("#error-customer").count()) === 0, "a validator the browser cannot read is left to the server");

  await page.getByLabel("Quantity").fill("2");
  await page.getByRole("button", { name: "Order" }).click();
  // the server's 422 names the input: its message shows next to that field
  await page.locator("#error-customer").getByText(/does not match the pattern/).waitFor();
  check((await page.locator("#error-quantity").count()) === 0, "the fixed field has no error any more");
  check(await executions() === 0, "no execution is created from invalid inputs");

  await page.getByLabel("Customer").fill("Ann Smith");
  await page.getByRole("button", { name: "Order" }).click();
  await page.waitForURL(new RegExp(`/ui/main/apps/${appId}\\?execution=`));
  check(await executions() === 1, "the valid form started one execution");
}

export const APPS_SCENARIOS = { apps, app_form_checks };
