// Browser scenarios of sign-in, the user menu, one's own account and access management. Run by browser.mjs:
// run(page, base). `sign_in_and_admin` runs against a server with an owner `root` (test_web_ui_identity.py);
// `open_mode` against the usual server without users.
import { violations } from "./a11y_scenarios.mjs";
import { check } from "./support.mjs";

export const ROOT_PASSWORD = "root-password-e2e";
const VIEWER_PASSWORD = "viewer-password-e2e";

const NIGHTLY = `id: nightly
namespace: e2e.identity
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: nightly
triggers:
  - id: every_night
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 2 * * *"
`;

const basic = (user, password) => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });

/** Call the API as an API client would (to check what the UI did). */
async function api(base, path, headers) {
  const response = await fetch(`${base}${path}`, { headers });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

async function signIn(page, user, password) {
  const form = page.getByRole("form", { name: "Sign in" });
  await form.getByLabel("User name").fill(user);
  await form.getByLabel("Password").fill(password);
  await form.getByRole("button", { name: "Sign in" }).click();
}

async function signOut(page, user) {
  await page.getByRole("button", { name: `User menu: ${user}` }).click();
  await page.getByRole("group", { name: "Account" }).getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/ui\/login/);
}

/** With users: a page sends to the sign-in page (no browser prompt), a wrong then the right password, the user
 * menu, a user created and bound the Viewer role, a personal token shown once then revoked, sign-out; the viewer
 * sees no administration and cannot change secrets. */
async function signInAndAdmin(page, base) {
  const deployed = await fetch(`${base}/api/v1/main/flows`, {
    method: "POST", body: NIGHTLY, headers: { "Content-Type": "application/x-yaml", ...basic("root", ROOT_PASSWORD) },
  });
  check(deployed.ok || deployed.status === 409, `deploying the nightly flow: ${deployed.status}`);
  const noPrompt = await api(base, "/api/v1/me", { "X-Requested-With": "XMLHttpRequest" });
  check(noPrompt.status === 401 && !noPrompt.headers.has("www-authenticate"), "a page's 401 must not ask for Basic");
  // axe-core on the sign-in page with an error shown, in both themes
  for (const theme of ["light", "dark"]) {
    await page.goto(`${base}/ui/login?error=the%20sign-in%20expired`);
    await page.evaluate((t) => localStorage.setItem("legato.theme", t), theme);
    await page.reload();
    await page.getByRole("alert").getByText("the sign-in expired").waitFor();
    const found = await violations(page);
    check(found.length === 0, `accessibility problems on the sign-in page (${theme}):\n${found.join("\n")}`);
  }
  await page.evaluate(() => localStorage.clear());
  await page.goto(`${base}/ui/flows?q=hello`);
  await page.waitForURL(/\/ui\/login\?next=%2Fui%2Fflows%3Fq%3Dhello$/);
  await page.getByRole("heading", { name: "Sign in to Legato" }).waitFor();
  check(await page.getByRole("link", { name: /^Sign in with/ }).count() === 0, "no single sign-on is configured here");
  await signIn(page, "root", "not-the-password");
  await page.getByRole("alert").getByText("Wrong user name or password").waitFor();
  check(await page.getByLabel("Password").inputValue() === "", "the wrong password should be cleared");
  await signIn(page, "root", ROOT_PASSWORD);
  await page.waitForURL(/\/ui\/flows\?q=hello$/);
  await page.getByRole("link", { name: "hello", exact: true }).waitFor();
  await page.getByRole("button", { name: "User menu: root" }).click();
  await page.getByRole("group", { name: "Account" }).getByText("instance owner").waitFor();
  await page.getByRole("button", { name: "User menu: root" }).click();

  // a user, then the Viewer role bound to it
  const viewer = `vic${Math.random().toString(36).slice(2, 7)}`;
  await page.getByRole("link", { name: "Administration" }).click();
  await page.waitForURL(/\/ui\/admin\/users$/);
  await page.getByRole("button", { name: "New user" }).click();
  const userForm = page.getByRole("form", { name: "New user" });
  await userForm.getByLabel("User name").fill(viewer);
  await userForm.getByLabel("Password").fill(VIEWER_PASSWORD);
  await userForm.getByRole("button", { name: "Create user" }).click();
  await page.locator(`tr[data-user="${viewer}"]`).getByText("active").waitFor();
  await page.getByRole("navigation", { name: "Administration sections" }).getByRole("link", { name: "Bindings" }).click();
  await page.getByRole("button", { name: "New binding" }).click();
  const bindingForm = page.getByRole("form", { name: "New binding" });
  await bindingForm.getByLabel("Role").selectOption({ label: "Viewer" });
  await bindingForm.getByLabel("Given to").selectOption("USER");
  await bindingForm.getByLabel("User", { exact: true }).selectOption({ label: viewer });
  await bindingForm.getByRole("button", { name: "Create binding" }).click();
  await page.locator(`tr[data-binding="Viewer ${viewer}"]`).waitFor();
  const bindings = await api(base, "/api/v1/main/bindings", basic("root", ROOT_PASSWORD));
  const users = await api(base, "/api/v1/main/users", basic("root", ROOT_PASSWORD));
  const vic = users.body.find((u) => u.username === viewer);
  check(bindings.body.some((b) => b.roleId === "viewer" && b.externalId === vic.id && b.namespace === null),
    `the API should list the Viewer binding of ${viewer}: ${JSON.stringify(bindings.body)}`);

  // a personal API token: shown once, works as Bearer, revoked
  await page.getByRole("button", { name: "User menu: root" }).click();
  await page.getByRole("link", { name: "Password and API tokens" }).click();
  await page.waitForURL(/\/ui\/account$/);
  const tokenForm = page.getByRole("form", { name: "New API token for root" });
  await tokenForm.getByLabel("Token name").fill("e2e-script");
  await tokenForm.getByRole("button", { name: "Create token" }).click();
  const shown = page.getByRole("status", { name: "New API token" });
  const token = (await shown.locator("code").innerText()).trim();
  check(/^lgt_/.test(token), `the new token should be shown once, got ${token}`);
  const asToken = await api(base, "/api/v1/me", { Authorization: `Bearer ${token}` });
  check(asToken.status === 200 && asToken.body.username === "root", `the token should sign in as root: ${asToken.status}`);
  await shown.getByRole("button", { name: "Done" }).click();
  check(!(await page.content()).includes(token), "the token must not be shown again");
  await page.getByRole("button", { name: "Revoke e2e-script" }).click();
  await page.locator('tr[data-token-row="e2e-script"]').getByText("revoked").waitFor();
  check((await api(base, "/api/v1/me", { Authorization: `Bearer ${token}` })).status === 401, "a revoked token must stop working");

  await signOut(page, "root");
  await page.goto(`${base}/ui/namespaces`);
  await page.waitForURL(/\/ui\/login\?next=%2Fui%2Fnamespaces$/);

  // the viewer: no administration, no audit log, secrets listed but not changeable
  await signIn(page, viewer, VIEWER_PASSWORD);
  await page.waitForURL(/\/ui\/namespaces$/);
  await page.getByRole("button", { name: `User menu: ${viewer}` }).waitFor();
  await page.getByRole("link", { name: "tutorial", exact: true }).first().waitFor();
  const nav = page.getByRole("navigation", { name: "Main" });
  check(await nav.getByRole("link", { name: "Administration" }).count() === 0, "a viewer must not see Administration");
  check(await nav.getByRole("link", { name: "Audit log" }).count() === 0, "a viewer must not see the audit log");
  await page.goto(`${base}/ui/admin/users`);
  await page.getByRole("alert").getByText("You may not manage users").waitFor();
  // each page is checked once /me has answered (the user menu shows): before that nothing is offered anyway
  const loaded = async (path) => {
    await page.goto(base + path);
    await page.getByRole("button", { name: `User menu: ${viewer}` }).waitFor();
  };
  await loaded("/ui/namespaces/tutorial/secrets");
  await page.getByText("No secret in this namespace.").waitFor();
  check(await page.getByRole("button", { name: "Add a secret" }).count() === 0, "a viewer must not be offered to add a secret");
  await loaded("/ui/flows?q=hello");  // the examples fill more than a page
  await page.getByRole("link", { name: "hello", exact: true }).waitFor();
  check(await page.getByRole("link", { name: "Create flow" }).count() === 0, "a viewer must not be offered to create a flow");
  check(await page.getByText("Import", { exact: true }).count() === 0, "a viewer must not be offered to import flows");
  await loaded("/ui/flows/tutorial/hello");
  await page.getByRole("heading", { name: "hello" }).waitFor();
  await page.getByText(/revision \d+/).waitFor();
  for (const name of ["Execute", "Delete", "Disable", "Duplicate"]) {
    check(await page.getByRole("button", { name, exact: true }).count() === 0, `a viewer must not be offered ${name}`);
  }
  check(await page.getByRole("button", { name: "Export", exact: true }).count() === 1, "a viewer may export what it sees");
  await loaded("/ui/flows/tutorial/hello/editor");
  const save = page.getByRole("button", { name: "Save", exact: true });
  await page.getByText(/Valid flow|problem/).first().waitFor();
  check(await save.isDisabled(), "a viewer's Save button must be disabled");
  check((await save.getAttribute("title")).includes("FLOW:UPDATE on tutorial"), "the Save button should say what is missing");
  await loaded("/ui/flows/e2e.identity/nightly/triggers");
  const toggle = page.getByRole("switch", { name: "Enable every_night" });
  await toggle.waitFor();
  check(await toggle.isDisabled(), "a viewer cannot switch a trigger off");
  check(await page.getByRole("button", { name: "Backfill every_night" }).count() === 0, "a viewer cannot backfill");
  // the global Triggers page lists it, without the switch, the bulk selection or the actions
  await loaded("/ui/triggers?q=e2e.identity.nightly");
  const listed = page.getByRole("switch", { name: "Enable e2e.identity.nightly.every_night" });
  await listed.waitFor();
  check(await listed.isDisabled(), "a viewer cannot switch a trigger off on the Triggers page");
  check(await page.getByRole("checkbox", { name: "Select all on this page" }).count() === 0, "a viewer has no bulk selection");
  for (const action of ["Backfill", "Restart", "Unlock"]) {
    check(await page.getByRole("button", { name: new RegExp(`^${action} `) }).count() === 0, `a viewer cannot ${action.toLowerCase()} a trigger`);
  }
  await loaded("/ui/namespaces/tutorial/kv");
  await page.getByRole("table", { name: "Keys of tutorial" }).waitFor();
  check(await page.getByRole("button", { name: "Add a key" }).count() === 0, "a viewer must not be offered to add a key");
  await signOut(page, viewer);

  // single sign-on failures come back to the sign-in page with their reason
  await page.goto(`${base}/ui/login?error=${encodeURIComponent("the provider refused the sign-in: access_denied")}`);
  await page.getByRole("alert").getByText("the provider refused the sign-in: access_denied").waitFor();
}

/** Without users nothing changes: pages load without signing in, no user menu, no administration. */
async function openMode(page, base) {
  await page.goto(`${base}/ui/flows?q=branching`);  // the examples fill more than a page
  await page.getByRole("link", { name: "branching" }).waitFor();
  check(new URL(page.url()).pathname === "/ui/flows", `open mode must not send to sign-in, got ${page.url()}`);
  await page.getByRole("link", { name: "Audit log" }).waitFor();
  check(await page.getByRole("button", { name: /^User menu/ }).count() === 0, "open mode has no user menu");
  check(await page.getByRole("link", { name: "Administration" }).count() === 0, "open mode offers no administration");
  await page.goto(`${base}/ui/namespaces/tutorial/secrets`);
  await page.getByRole("button", { name: "Add a secret" }).waitFor();
  await page.goto(`${base}/ui/login?next=${encodeURIComponent("/ui/executions")}`);
  await page.waitForURL(`${base}/ui/executions`);  // nobody to sign in as: the sign-in page goes straight on
}

async function post(base, path, body) {
  const response = await fetch(`${base}${path}`, {
    method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json", ...basic("root", ROOT_PASSWORD) },
  });
  if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Groups and members, a custom role made and edited with the permission grid, a role bound to a group on a
 * namespace, a service account's token, and a user disabled, enabled, given a new password and deleted — each
 * checked through the API. */
async function accessManagement(page, base) {
  const id = Math.random().toString(36).slice(2, 7);
  const root = basic("root", ROOT_PASSWORD);
  const gina = await post(base, "/api/v1/main/users", { username: `gina${id}`, password: "gina-password-1" });
  await page.goto(`${base}/ui/admin/groups`);
  await signIn(page, "root", ROOT_PASSWORD);
  await page.waitForURL(/\/ui\/admin\/groups$/);

  // a group with a member
  await page.getByRole("button", { name: "New group" }).click();
  const groupForm = page.getByRole("form", { name: "New group" });
  await groupForm.getByLabel("Name").fill(`analysts${id}`);
  await groupForm.getByRole("button", { name: "Create group" }).click();
  await page.getByRole("button", { name: `Members of analysts${id}` }).click();
  const adding = page.getByRole("form", { name: `Add a member to analysts${id}` });
  await adding.getByLabel("Account").selectOption({ label: `gina${id}` });
  await adding.getByRole("button", { name: "Add member" }).click();
  await page.getByRole("button", { name: `Remove gina${id} from analysts${id}` }).waitFor();
  const groups = await api(base, "/api/v1/main/groups", root);
  const group = groups.body.find((g) => g.name === `analysts${id}`);
  const members = await api(base, `/api/v1/main/groups/${group.id}`, root);
  check(members.body.members.includes(gina.id), `gina should be a member: ${JSON.stringify(members.body)}`);

  // a custom role, edited, bound to the group on a namespace
  const nav = page.getByRole("navigation", { name: "Administration sections" });
  await nav.getByRole("link", { name: "Roles" }).click();
  await page.getByRole("button", { name: "New role" }).click();
  const roleForm = page.getByRole("form", { name: "New role" });
  await roleForm.getByLabel("Name", { exact: true }).fill(`readers${id}`);
  await roleForm.getByLabel("FLOW:VIEW", { exact: true }).check();
  await roleForm.getByLabel("FLOW:LIST", { exact: true }).check();
  await roleForm.getByRole("button", { name: "Create role" }).click();
  const row = page.locator(`tr[data-role="readers${id}"]`);
  await row.getByText("2 permissions").waitFor();
  await row.getByRole("button", { name: `Edit readers${id}` }).click();
  const editForm = page.getByRole("form", { name: `Edit role readers${id}` });
  await editForm.getByLabel("EXECUTION:VIEW", { exact: true }).check();
  await editForm.getByRole("button", { name: "Save role" }).click();
  await row.getByText("3 permissions").waitFor();
  const roles = await api(base, "/api/v1/main/roles", root);
  const role = roles.body.find((r) => r.name === `readers${id}`);
  check(JSON.stringify(role.permissions) === JSON.stringify(["EXECUTION:VIEW", "FLOW:LIST", "FLOW:VIEW"]),
    `the role's permissions: ${JSON.stringify(role.permissions)}`);
  check(await page.getByRole("button", { name: "Edit Viewer" }).count() === 0, "a managed role cannot be edited");
  await nav.getByRole("link", { name: "Bindings" }).click();
  await page.getByRole("button", { name: "New binding" }).click();
  const bindingForm = page.getByRole("form", { name: "New binding" });
  await bindingForm.getByLabel("Role").selectOption({ label: `readers${id}` });
  await bindingForm.getByLabel("Given to").selectOption("GROUP");
  await bindingForm.getByLabel("Group", { exact: true }).selectOption({ label: `analysts${id}` });
  await bindingForm.getByLabel("Namespace").fill("tutorial");
  await bindingForm.getByRole("button", { name: "Create binding" }).click();
  await page.locator(`tr[data-binding="readers${id} analysts${id}"]`).getByText("and its children").waitFor();
  const asGina = await api(base, "/api/v1/me", basic(`gina${id}`, "gina-password-1"));
  check(asGina.body.permissions.some((p) => p.permission === "FLOW:VIEW" && p.namespaces?.includes("tutorial")),
    `gina should view flows of tutorial through her group: ${JSON.stringify(asGina.body)}`);

  // a service account and its token
  await nav.getByRole("link", { name: "Service accounts" }).click();
  await page.getByRole("button", { name: "New service account" }).click();
  const accountForm = page.getByRole("form", { name: "New service account" });
  await accountForm.getByLabel("Name").fill(`ci${id}`);
  await accountForm.getByRole("button", { name: "Create service account" }).click();
  await page.getByRole("button", { name: `API tokens of ci${id}` }).click();
  const tokenForm = page.getByRole("form", { name: `New API token for ci${id}` });
  await tokenForm.getByLabel("Token name").fill("deploy");
  await tokenForm.getByRole("button", { name: "Create token" }).click();
  const token = (await page.getByRole("status", { name: "New API token" }).locator("code").innerText()).trim();
  const asCi = await api(base, "/api/v1/me", { Authorization: `Bearer ${token}` });
  check(asCi.status === 200 && asCi.body.username === `ci${id}` && asCi.body.kind === "SERVICE_ACCOUNT",
    `the token should act as the service account: ${asCi.status} ${JSON.stringify(asCi.body)}`);

  // a user disabled, enabled, given a password, deleted
  await nav.getByRole("link", { name: "Users" }).click();
  const user = page.locator(`tr[data-user="gina${id}"]`);
  await user.getByRole("button", { name: `Disable gina${id}` }).click();
  await user.getByText("disabled").waitFor();
  check((await api(base, "/api/v1/me", basic(`gina${id}`, "gina-password-1"))).status === 401, "a disabled user must be refused");
  await user.getByRole("button", { name: `Enable gina${id}` }).click();
  await user.getByText("active").waitFor();
  await user.getByRole("button", { name: `Set the password of gina${id}` }).click();
  const passwordForm = page.getByRole("form", { name: `Password of gina${id}` });
  await passwordForm.getByLabel("New password").fill("gina-password-2");
  await passwordForm.getByRole("button", { name: "Set password" }).click();
  await passwordForm.waitFor({ state: "detached" });
  check((await api(base, "/api/v1/me", basic(`gina${id}`, "gina-password-2"))).status === 200, "the new password should work");
  await user.getByRole("button", { name: `Delete gina${id}` }).click();
  await user.getByRole("button", { name: `Confirm delete gina${id}` }).click();
  await user.waitFor({ state: "detached" });
  const users = await api(base, "/api/v1/main/users", root);
  check(!users.body.some((u) => u.username === `gina${id}`), "gina should be gone");
  check(await page.getByRole("button", { name: "Delete root" }).count() === 0, "one cannot delete oneself here");
}

/** Upload a file to a namespace's files as root (to have something to show). */
async function rootUpload(base, namespace, path, text) {
  const form = new FormData();
  form.append("fileContent", new Blob([text]), path.split("/").pop());
  const response = await fetch(`${base}/api/v1/main/namespaces/${namespace}/files?path=${encodeURIComponent(path)}`, {
    method: "POST", body: form, headers: basic("root", ROOT_PASSWORD),
  });
  if (!response.ok) throw new Error(`upload ${path}: ${response.status} ${await response.text()}`);
}

/** A user with `role` bound on `namespace`, made through the API as root; its name. */
async function userBound(base, name, role, namespace) {
  const user = await post(base, "/api/v1/main/users", { username: name, password: VIEWER_PASSWORD });
  await post(base, "/api/v1/main/bindings", { roleId: role, type: "USER", externalId: user.id, namespace });
  return name;
}

/** SCIM integrations: root creates one (its endpoint and token shown once, the token works against the endpoint),
 * disables it (the token is refused), and deletes it after a confirmation (gone from the API's list). */
async function scimIntegrations(page, base) {
  const id = Math.random().toString(36).slice(2, 7);
  const root = basic("root", ROOT_PASSWORD);
  await page.goto(`${base}/ui/admin/integrations`);
  await signIn(page, "root", ROOT_PASSWORD);
  await page.waitForURL(/\/ui\/admin\/integrations$/);
  await page.getByRole("navigation", { name: "Administration sections" }).getByRole("link", { name: "SCIM integrations" }).waitFor();
  await page.getByRole("button", { name: "New SCIM integration" }).click();
  const form = page.getByRole("form", { name: "New SCIM integration" });
  await form.getByLabel("Description").fill(`okta${id}`);
  await form.getByRole("button", { name: "Create integration" }).click();
  const shown = page.getByRole("status", { name: "New SCIM integration" });
  await shown.getByText("it won't be shown again").waitFor();
  await shown.getByRole("button", { name: "Copy token" }).waitFor();
  const token = (await shown.locator("code[data-token]").innerText()).trim();
  const endpoint = (await shown.locator("code[data-endpoint]").innerText()).trim();
  check(endpoint.startsWith(`${base}/api/v1/main/integrations/`) && endpoint.endsWith("/scim/v2"), `the SCIM endpoint: ${endpoint}`);
  const found = await api(base, `${endpoint.slice(base.length)}/Users`, { Authorization: `Bearer ${token}` });
  check(found.status === 200, `the token should reach the SCIM endpoint: ${found.status} ${JSON.stringify(found.body)}`);
  const problems = await violations(page);
  check(problems.length === 0, `accessibility problems with the token shown:\n${problems.join("\n")}`);
  await shown.getByRole("button", { name: "Done" }).click();
  check(!(await page.content()).includes(token), "the token must not be shown again");
  const row = page.locator(`tr[data-integration="okta${id}"]`);
  await row.getByText("enabled", { exact: true }).waitFor();
  check((await row.innerText()).includes(endpoint), "the list shows the endpoint");
  await page.reload();
  await row.waitFor();
  check(!(await page.content()).includes(token), "the token must not be shown after a reload");

  await row.getByRole("button", { name: `Disable okta${id}` }).click();
  await row.getByText("disabled", { exact: true }).waitFor();
  const refused = await api(base, `${endpoint.slice(base.length)}/Users`, { Authorization: `Bearer ${token}` });
  check(refused.status === 401, `a disabled integration's token must be refused: ${refused.status}`);
  const listed = await api(base, "/api/v1/main/integrations", root);
  check(listed.body.some((i) => i.description === `okta${id}` && i.enabled === false), `the API should say disabled: ${JSON.stringify(listed.body)}`);

  await row.getByRole("button", { name: `Delete okta${id}` }).click();
  await row.getByRole("button", { name: `Confirm delete okta${id}` }).click();
  await row.waitFor({ state: "detached" });
  const after = await api(base, "/api/v1/main/integrations", root);
  check(!after.body.some((i) => i.description === `okta${id}`), `the integration should be gone: ${JSON.stringify(after.body)}`);
  await signOut(page, "root");
}

/** Tenants: the owner creates one (its API answers at once), renames it, sees the refusal to delete it while it
 * holds a flow, then deletes it once the flow is gone (each step checked through the API). */
async function tenantsAdmin(page, base) {
  const id = `t${Math.random().toString(36).slice(2, 8)}`;
  const root = basic("root", ROOT_PASSWORD);
  await page.goto(`${base}/ui/admin/tenants`);
  await signIn(page, "root", ROOT_PASSWORD);
  await page.waitForURL(/\/ui\/admin\/tenants$/);
  await page.locator('tr[data-tenant="main"]').waitFor();
  check(await page.locator('tr[data-tenant="main"]').getByRole("button", { name: "Delete main" }).count() === 0,
    "main cannot be deleted");
  await page.getByRole("button", { name: "New tenant" }).click();
  const form = page.getByRole("form", { name: "New tenant" });
  await form.getByLabel("Id").fill(id);
  await form.getByLabel("Name").fill("Acme Corp");
  await form.getByRole("button", { name: "Create tenant" }).click();
  const row = page.locator(`tr[data-tenant="${id}"]`);
  await row.getByText("Acme Corp").waitFor();
  const flows = await api(base, `/api/v1/${id}/flows/search`, root);
  check(flows.status === 200 && flows.body.total === 0, `the new tenant's API: ${flows.status} ${JSON.stringify(flows.body)}`);
  const problems = await violations(page);
  check(problems.length === 0, `accessibility problems on the tenants tab:\n${problems.join("\n")}`);

  await row.getByRole("button", { name: `Rename ${id}` }).click();
  const rename = page.getByRole("form", { name: `Rename ${id}` });
  await rename.getByLabel("Name").fill("Acme Inc.");
  await rename.getByRole("button", { name: "Save" }).click();
  await row.getByText("Acme Inc.").waitFor();
  check((await api(base, `/api/v1/tenants/${id}`, root)).body.name === "Acme Inc.", "the API should have the new name");

  const flow = `id: f\nnamespace: e2e.tenants\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n`;
  const deployed = await fetch(`${base}/api/v1/${id}/flows`, {
    method: "POST", body: flow, headers: { "Content-Type": "application/x-yaml", ...root },
  });
  check(deployed.ok, `deploying in the tenant: ${deployed.status}`);
  await row.getByRole("button", { name: `Delete ${id}` }).click();
  await row.getByRole("button", { name: `Confirm delete ${id}` }).click();
  await page.getByRole("alert").getByText("still holds").waitFor();
  const removed = await fetch(`${base}/api/v1/${id}/flows/e2e.tenants/f`, { method: "DELETE", headers: root });
  check(removed.status === 204, `deleting the tenant's flow: ${removed.status}`);
  await row.getByRole("button", { name: `Delete ${id}` }).click();
  await row.getByRole("button", { name: `Confirm delete ${id}` }).click();
  await row.waitFor({ state: "detached" });
  check((await api(base, `/api/v1/tenants/${id}`, root)).status === 404, "the tenant should be gone");
  await signOut(page, "root");
}

const DEV_FLOW = `id: scripts
namespace: dev
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hi
`;

/** Namespace files under RBAC: a viewer of `dev` sees its files (Files tab, the editor's files panel) with no
 * control to change them; a viewer of another namespace does not see the tab; an editor of `dev` uploads,
 * makes a folder, renames and deletes (checked through the API). */
async function namespaceFilesAccess(page, base) {
  const id = Math.random().toString(36).slice(2, 7);
  const deployed = await fetch(`${base}/api/v1/main/flows`, {
    method: "POST", body: DEV_FLOW, headers: { "Content-Type": "application/x-yaml", ...basic("root", ROOT_PASSWORD) },
  });
  check(deployed.ok || deployed.status === 409, `deploying dev.scripts: ${deployed.status}`);
  await rootUpload(base, "dev", "/readme.md", "# dev\n");
  const viewer = await userBound(base, `fv${id}`, "viewer", "dev");
  const editor = await userBound(base, `fe${id}`, "editor", "dev");
  const outsider = await userBound(base, `fo${id}`, "viewer", "development");
  const tabs = () => page.getByRole("navigation", { name: "Namespace views" });
  const writeControls = async () => ({
    upload: await page.getByRole("form", { name: "Upload a file" }).count(),
    folder: await page.getByRole("form", { name: "New folder" }).count(),
    rename: await page.getByRole("button", { name: /^Rename / }).count(),
    delete: await page.getByRole("button", { name: /^Delete / }).count(),
  });

  // the viewer of dev: the files, no write control, in the Files tab and in the editor's panel
  await page.goto(`${base}/ui/namespaces/dev/files`);
  await signIn(page, viewer, VIEWER_PASSWORD);
  await page.waitForURL(/\/ui\/namespaces\/dev\/files$/);
  await page.locator('tr[data-file="readme.md"]').waitFor();
  await tabs().getByRole("link", { name: "Files" }).waitFor();
  const none = await writeControls();
  check(Object.values(none).every((n) => n === 0), `a viewer of dev must see no write control: ${JSON.stringify(none)}`);
  await page.goto(`${base}/ui/flows/dev/scripts/editor?panel=files`);
  await page.getByRole("tree", { name: "Files of dev" }).getByRole("button", { name: "readme.md" }).click();
  await page.getByRole("region", { name: "File /readme.md" }).getByText("read-only").waitFor();
  for (const name of ["Save file", "Delete file", "New file"]) {
    check(await page.getByRole("button", { name, exact: true }).count() === 0, `a viewer of dev must not be offered ${name}`);
  }
  await signOut(page, viewer);

  // a viewer of `development` only (not a child of dev): no Files tab on dev, and the page says why
  await page.goto(`${base}/ui/namespaces/dev`);
  await signIn(page, outsider, VIEWER_PASSWORD);
  await page.waitForURL(/\/ui\/namespaces\/dev$/);
  await page.getByRole("button", { name: `User menu: ${outsider}` }).waitFor();
  await tabs().getByRole("link", { name: "Executions" }).waitFor();
  check(await tabs().getByRole("link", { name: "Files" }).count() === 0, "the Files tab needs NAMESPACE:ACCESS_FILES on dev");
  await page.goto(`${base}/ui/namespaces/dev/files`);
  await page.getByRole("alert").getByText("You may not see the files of dev").waitFor();
  await signOut(page, outsider);

  // the editor of dev: every write control, each doing what it says
  await page.goto(`${base}/ui/namespaces/dev/files`);
  await signIn(page, editor, VIEWER_PASSWORD);
  await page.waitForURL(/\/ui\/namespaces\/dev\/files$/);
  await page.locator('tr[data-file="readme.md"]').waitFor();
  const upload = page.getByRole("form", { name: "Upload a file" });
  await upload.getByLabel("File to upload").setInputFiles({ name: "data.csv", mimeType: "text/csv", buffer: Buffer.from("a,b\n1,2\n") });
  await upload.getByRole("button", { name: "Upload", exact: true }).click();
  await page.locator('tr[data-file="data.csv"]').waitFor();
  const folder = page.getByRole("form", { name: "New folder" });
  await folder.getByLabel("Folder name").fill("scripts");
  await folder.getByRole("button", { name: "Create folder" }).click();
  await page.locator('tr[data-file="scripts"]').waitFor();
  await page.getByRole("button", { name: "Rename data.csv" }).click();
  const renaming = page.getByRole("form", { name: "Rename data.csv" });
  await renaming.getByLabel("New name of data.csv").fill("renamed.csv");
  await renaming.getByRole("button", { name: "Save name" }).click();
  await page.locator('tr[data-file="renamed.csv"]').waitFor();
  await page.getByRole("button", { name: "Delete renamed.csv" }).click();
  await page.getByRole("button", { name: "Confirm delete renamed.csv" }).click();
  await page.locator('tr[data-file="renamed.csv"]').waitFor({ state: "detached" });
  const listed = await api(base, "/api/v1/main/namespaces/dev/files/directory?path=/", basic("root", ROOT_PASSWORD));
  check(JSON.stringify(listed.body.map((f) => f.fileName)) === JSON.stringify(["readme.md", "scripts"]),
    `dev's files after the editor's changes: ${JSON.stringify(listed.body)}`);
  await page.goto(`${base}/ui/flows/dev/scripts/editor?panel=files`);
  await page.getByRole("form", { name: "New namespace file" }).waitFor();
  await page.getByRole("tree", { name: "Files of dev" }).getByRole("button", { name: "readme.md" }).click();
  await page.getByRole("region", { name: "File /readme.md" }).getByRole("button", { name: "Save file" }).waitFor();
  await signOut(page, editor);
}

/** Single sign-on from the sign-in page: its button goes to the provider (oidc-provider's own sign-in and
 * consent pages) and back to the page the user first asked for, signed in as the provider's user. */
async function singleSignOn(page, base) {
  await page.goto(`${base}/ui/flows`);
  await page.waitForURL(/\/ui\/login\?next=%2Fui%2Fflows$/);
  await page.getByRole("link", { name: "Sign in with Company SSO" }).click();
  await page.locator('input[name="login"]').fill("alice");
  await page.locator('input[name="password"]').fill("anything");
  await page.locator('button[type="submit"]').click();
  await page.locator('button[type="submit"]').click();  // the provider's consent page
  await page.waitForURL(`${base}/ui/flows`);
  await page.getByRole("button", { name: "User menu: alice" }).waitFor();
  check(await page.getByRole("link", { name: "Administration" }).count() === 0, "alice is a viewer of `team` only");
  await signOut(page, "alice");
}

export const IDENTITY_SCENARIOS = {
  sign_in_and_admin: signInAndAdmin, access_management: accessManagement, open_mode: openMode, single_sign_on: singleSignOn,
  scim_integrations: scimIntegrations, namespace_files_access: namespaceFilesAccess, tenants_admin: tenantsAdmin,
};
