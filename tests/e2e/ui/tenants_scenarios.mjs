// Browser scenario of the UI in several tenants: the tenant is in the address (`/ui/<tenant>/...`, Kestra's form;
// un-prefixed pages are `main`'s), the API calls go to `/api/v1/<tenant>/...`, a user bound in one tenant only
// lands there and cannot see another, and the instance owner switches tenants from the user menu. Run by
// browser.mjs against a server whose owner is `root` (test_web_ui_identity.py).
import { violations } from "./a11y_scenarios.mjs";
import { ROOT_PASSWORD } from "./identity_scenarios.mjs";
import { check, stateIs, uid } from "./support.mjs";

const USER_PASSWORD = "tenant-user-password-e2e";
const root = { Authorization: `Basic ${Buffer.from(`root:${ROOT_PASSWORD}`).toString("base64")}` };

/** An API call as root (to set up, and to check what the UI did); the answer's status and body. */
async function call(base, method, path, body, type = "application/json") {
  const response = await fetch(`${base}${path}`, {
    method, headers: { ...root, ...(body === undefined ? {} : { "Content-Type": type }) },
    body: body === undefined ? undefined : type === "application/json" ? JSON.stringify(body) : body,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function must(base, method, path, body, type) {
  const found = await call(base, method, path, body, type);
  check(found.status < 300, `${method} ${path}: ${found.status} ${JSON.stringify(found.body)}`);
  return found.body;
}

const flow = (namespace, id) => `id: ${id}
namespace: ${namespace}
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hello from ${namespace}
`;

async function signIn(page, user, password) {
  const form = page.getByRole("form", { name: "Sign in" });
  await form.getByLabel("User name").fill(user);
  await form.getByLabel("Password").fill(password);
  await form.getByRole("button", { name: "Sign in" }).click();
}

async function signOut(page, user) {
  await page.getByRole("button", { name: new RegExp(`^User menu: ${user}`) }).click();
  await page.getByRole("group", { name: "Account" }).getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/ui\/login/);
}

async function noViolations(page, what) {
  const found = await violations(page);
  check(found.length === 0, `accessibility problems on ${what}:\n${found.join("\n")}`);
}

/** Two tenants, `main` and a new one: its user lands in it, sees its flows and executions only, runs a flow there,
 * and gets the "no access" page (no data) at `main`'s addresses; the owner switches between them. */
async function tenantsInTheUi(page, base) {
  const id = uid();
  const tenant = `acme${id}`;
  const user = `acmeuser${id}`;
  await must(base, "POST", "/api/v1/tenants", { id: tenant, name: `Acme ${id}` });
  await must(base, "POST", `/api/v1/${tenant}/flows`, flow("e2e.tenants", `only_acme_${id}`), "application/x-yaml");
  await must(base, "POST", "/api/v1/main/flows", flow("e2e.tenants", `only_main_${id}`), "application/x-yaml");
  const mainRun = await must(base, "POST", `/api/v1/main/executions/e2e.tenants/only_main_${id}`);
  const account = await must(base, "POST", "/api/v1/main/users", { username: user, password: USER_PASSWORD });
  await must(base, "POST", `/api/v1/${tenant}/bindings`,
    { roleId: "developer", type: "USER", externalId: account.id, namespace: null });

  // signing in at the start page lands in the only tenant the user may open
  await page.goto(`${base}/ui/`);
  await page.waitForURL(/\/ui\/login/);
  await signIn(page, user, USER_PASSWORD);
  await page.waitForURL(new RegExp(`/ui/${tenant}/$`));
  await page.getByRole("button", { name: `User menu: ${user}` }).click();
  check(await page.getByRole("navigation", { name: "Tenants" }).count() === 0, "one tenant: no tenant switcher");
  await page.getByRole("button", { name: `User menu: ${user}` }).click();

  // its flows, from the menu (links keep the tenant), and none of main's
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Flows" }).click();
  await page.waitForURL(new RegExp(`/ui/${tenant}/flows`));
  await page.getByRole("link", { name: `only_acme_${id}`, exact: true }).waitFor();
  check(await page.getByRole("link", { name: `only_main_${id}` }).count() === 0, "main's flow must not show in acme");
  await noViolations(page, "a tenant's flows list");

  // a run of its flow, from the flow's page: the execution belongs to the tenant
  await page.getByRole("link", { name: `only_acme_${id}`, exact: true }).click();
  await page.waitForURL(new RegExp(`/ui/${tenant}/flows/e2e.tenants/only_acme_${id}`));
  await page.getByRole("button", { name: "Execute", exact: true }).click();
  await page.getByRole("dialog", { name: `Execute e2e.tenants.only_acme_${id}` }).getByRole("button", { name: "Execute" }).click();
  await page.waitForURL(new RegExp(`/ui/${tenant}/executions/[^/]+$`));
  await stateIs(page, "SUCCESS");
  const executionId = new URL(page.url()).pathname.split("/").pop();
  check((await call(base, "GET", `/api/v1/${tenant}/executions/${executionId}`)).status === 200, "the run is in acme");
  check((await call(base, "GET", `/api/v1/main/executions/${executionId}`)).status === 404, "the run is not in main");

  // the executions list: this run, not main's
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Executions" }).click();
  await page.waitForURL(new RegExp(`/ui/${tenant}/executions$`));
  await page.getByRole("link", { name: executionId.slice(0, 12) }).waitFor();
  check(await page.getByRole("link", { name: mainRun.id.slice(0, 12) }).count() === 0, "main's run must not show in acme");

  // main's addresses: the "no access" page, and none of main's data
  for (const path of ["/ui/main/flows", `/ui/main/executions/${mainRun.id}`, "/ui/flows"]) {
    await page.goto(`${base}${path}`);
    await page.getByRole("heading", { name: "No access to tenant “main”" }).waitFor();
    check(await page.getByRole("link", { name: `only_main_${id}` }).count() === 0, `${path}: no flow of main`);
    check(!(await page.content()).includes(mainRun.id.slice(0, 12)) || path.includes(mainRun.id),
      `${path}: no execution of main`);
    check(await page.getByRole("link", { name: "Flows" }).count() === 0, `${path}: no menu of main's pages`);
  }
  await page.getByRole("link", { name: `Acme ${id}` }).waitFor();
  await noViolations(page, "the no-access page");
  await page.goto(`${base}/ui/nosuchtenant/flows`);
  await page.getByRole("heading", { name: "No tenant “nosuchtenant”" }).waitFor();
  await page.getByRole("link", { name: `Acme ${id}` }).waitFor();
  await page.goto(`${base}/ui/${tenant}/`);
  await signOut(page, user);

  // the instance owner: every tenant in the user menu, each link loading the UI in that tenant
  await page.goto(`${base}/ui/${tenant}/flows`);
  await signIn(page, "root", ROOT_PASSWORD);
  await page.waitForURL(new RegExp(`/ui/${tenant}/flows$`));
  await page.getByRole("link", { name: `only_acme_${id}`, exact: true }).waitFor();
  await page.getByRole("button", { name: "User menu: root" }).click();
  const switcher = page.getByRole("navigation", { name: "Tenants" });
  await switcher.getByRole("link", { name: `Acme ${id}` }).waitFor();
  check(await switcher.getByRole("link", { name: `Acme ${id}` }).getAttribute("aria-current") === "page",
    "the page's tenant is marked as current");
  await noViolations(page, "the user menu with the tenant switcher");
  await switcher.getByRole("link", { name: "Main" }).click();
  await page.waitForURL(/\/ui\/$/);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Flows" }).click();
  await page.waitForURL(/\/ui\/flows/);
  await page.getByLabel("Search").fill(`only_main_${id}`);
  await page.getByRole("link", { name: `only_main_${id}`, exact: true }).waitFor();
  check(await page.getByRole("link", { name: `only_acme_${id}` }).count() === 0, "acme's flow must not show in main");
  await page.getByRole("button", { name: "User menu: root" }).click();
  await page.getByRole("navigation", { name: "Tenants" }).getByRole("link", { name: `Acme ${id}` }).click();
  await page.waitForURL(new RegExp(`/ui/${tenant}/$`));
  await signOut(page, "root");
}

export const TENANTS_SCENARIOS = { tenants_in_the_ui: tenantsInTheUi };
