// Browser scenarios of issue 21 (a newcomer's first day), second part: the flows list's last run, triggers and
// labels; the namespaces hierarchy with its counts; the namespace Files tab (upload, new file and folder, edit,
// rename, delete). Run by browser.mjs: run(page, base). Set-up goes through the REST API.
import { showTheme, violations } from "./a11y_scenarios.mjs";
import { api, check, deploy, uid } from "./support.mjs";

/** axe's rules (as a11y_scenarios.mjs checks every section) on the page as it is, in the light and the dark theme. */
async function accessibleInBothThemes(page, what) {
  const problems = [];
  for (const theme of ["light", "dark"]) {
    await showTheme(page, theme);
    for (const line of await violations(page)) problems.push(`${theme} ${what}: ${line}`);
  }
  check(problems.length === 0, `${problems.length} accessibility problems:\n${problems.join("\n")}`);
}

const fileUrl = (base, ns, path) => `${base}/api/v1/main/namespaces/${ns}/files?path=${encodeURIComponent(path)}`;

/** The content of a namespace file as the API serves it, or null when there is none. */
async function fileText(base, ns, path) {
  const response = await fetch(fileUrl(base, ns, path));
  return response.status === 404 ? null : response.text();
}

async function putFile(base, ns, path, text) {
  const form = new FormData();
  form.append("fileContent", new Blob([text]), path.split("/").pop());
  await api(base, "POST", `/namespaces/${ns}/files?path=${encodeURIComponent(path)}`, form);
}

const run = (base, ns, id) => api(base, "POST", `/executions/${ns}/${id}?wait=true`, new FormData());

const SCHEDULED = (ns) => `id: scheduled
namespace: ${ns}
labels:
  team: data
  tier: gold
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: hi
triggers:
  - id: nightly
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 3 * * *"
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: k${uid()}${uid()}
`;

const BROKEN = (ns) => `id: broken
namespace: ${ns}
tasks:
  - id: boom
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: no luck
`;

const IDLE = (ns) => `id: idle
namespace: ${ns}
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: never run
`;

/** Item 2: each row of the flows list says how the flow's last run ended (linked to it), its triggers and labels. */
async function flowsListColumns(page, base) {
  const ns = `e2e.firstday.l${uid()}`;
  for (const source of [SCHEDULED(ns), BROKEN(ns), IDLE(ns)]) await deploy(base, source);
  const ok = await run(base, ns, "scheduled");
  check(ok.state.current === "SUCCESS", `scheduled should succeed, got ${ok.state.current}`);
  const failed = await run(base, ns, "broken");
  check(failed.state.current === "FAILED", `broken should fail, got ${failed.state.current}`);

  await page.goto(`${base}/ui/flows?namespace=${ns}`);
  await page.getByRole("link", { name: "idle", exact: true }).waitFor();
  const header = await page.locator("table.list thead th").allTextContents();
  const column = (name) => header.findIndex((h) => h.trim() === name);
  for (const name of ["Last run", "Triggers", "Labels"]) check(column(name) > 0, `a "${name}" column, got ${header}`);
  const row = (id) => page.locator("table.list tbody tr", { has: page.getByRole("link", { name: id, exact: true }) });
  const cell = (id, name) => row(id).locator("td").nth(column(name));

  await cell("scheduled", "Last run").getByText("SUCCESS").waitFor();
  await cell("broken", "Last run").getByText("FAILED").waitFor();
  await cell("idle", "Last run").getByText("never").waitFor();
  const triggers = await cell("scheduled", "Triggers").innerText();
  check(triggers.includes("nightly") && triggers.includes("hook"), `both triggers listed, got ${triggers}`);
  check((await cell("idle", "Triggers").innerText()).trim() === "none", "a flow without triggers says none");
  const labels = await cell("scheduled", "Labels").locator(".badge").allInnerTexts();
  check(labels.includes("team:data") && labels.includes("tier:gold"), `labels listed, got ${labels}`);
  check(await cell("broken", "Labels").locator(".badge").count() === 0, "a flow without labels shows none");

  await cell("broken", "Last run").getByRole("link").click();
  await page.waitForURL(new RegExp(`/ui/executions/${failed.id}$`));
}

const FLOW = (ns, id) => `id: ${id}
namespace: ${ns}
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: hi
`;

/** Item 14: the namespaces page is a hierarchy (a parent right before its children, even one without flows) with
 * each namespace's own counts of flows, executions, KV entries and files; a count opens the matching tab. */
async function namespaceCounts(page, base) {
  const top = `e2e.firstday.n${uid()}`;
  const team = `${top}.team`;
  await deploy(base, FLOW(team, "one"));
  await deploy(base, FLOW(team, "two"));
  await deploy(base, FLOW(`${team}.sub`, "three"));
  for (const id of ["one", "one", "two"]) check((await run(base, team, id)).state.current === "SUCCESS", `${id} runs`);
  for (const key of ["a", "b", "c"]) {
    await api(base, "PUT", `/namespaces/${team}/kv/${key}?type=STRING`, JSON.stringify(key), { "Content-Type": "text/plain" });
  }
  await putFile(base, team, "/scripts/etl.py", "print('etl')\n");
  await putFile(base, team, "/README.md", "# team\n");
  await putFile(base, top, "/shared.sql", "select 1\n");

  await page.goto(`${base}/ui/namespaces`);
  const rows = page.locator("table.namespace-tree tbody tr");
  await page.locator(`tr[data-namespace="${team}.sub"]`).waitFor();
  const order = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.namespace));
  const at = (ns) => order.indexOf(ns);
  check(at("e2e") >= 0 && at("e2e") < at("e2e.firstday"), `parents come first, got ${order.join(" ")}`);
  check(at("e2e.firstday") < at(top) && at(top) + 1 === at(team) && at(team) + 1 === at(`${team}.sub`),
    `each child right after its parent, got ${order.join(" ")}`);
  const counts = async (ns) => Object.fromEntries(await page.locator(`tr[data-namespace="${ns}"] td[data-count]`)
    .evaluateAll((tds) => tds.map((td) => [td.dataset.count, Number(td.innerText.trim())])));
  const expect = async (ns, wanted) => {
    const got = await counts(ns);
    check(JSON.stringify(got) === JSON.stringify(wanted), `${ns}: expected ${JSON.stringify(wanted)}, got ${JSON.stringify(got)}`);
  };
  await expect(team, { flows: 2, executions: 3, kv: 3, files: 2 });
  await expect(top, { flows: 0, executions: 0, kv: 0, files: 1 });
  await expect(`${team}.sub`, { flows: 1, executions: 0, kv: 0, files: 0 });
  await accessibleInBothThemes(page, "the namespaces hierarchy");
  const name = page.locator(`tr[data-namespace="${team}.sub"] th`);
  check((await name.innerText()).trim().endsWith("sub"), `a child shows its own segment, got ${await name.innerText()}`);
  const indent = async (ns) => page.locator(`tr[data-namespace="${ns}"] th`).evaluate((th) => parseFloat(getComputedStyle(th).paddingLeft));
  check(await indent(`${team}.sub`) > await indent(team), "a child is indented under its parent");

  await page.getByRole("link", { name: `2 files of ${team}` }).click();
  await page.waitForURL(new RegExp(`/ui/namespaces/${team.replaceAll(".", "\\.")}/files$`));
  await page.locator('tr[data-file="README.md"]').waitFor();
  await page.goBack();
  await page.getByRole("link", { name: `3 kv entries of ${team}` }).click();
  await page.locator('tr[data-key="c"]').waitFor();
}

/** Item 14: the Files tab uploads a file, makes a file and a folder, edits a file, renames and deletes one; each
 * step checked through the API. */
async function namespaceFilesTab(page, base) {
  const ns = `e2e.firstday.f${uid()}`;
  await page.goto(`${base}/ui/namespaces/${ns}/files`);
  await page.getByText("No file here.").waitFor();

  const upload = page.getByRole("form", { name: "Upload a file" });
  await upload.getByLabel("File to upload").setInputFiles({ name: "data.csv", mimeType: "text/csv", buffer: Buffer.from("a,b\n1,2\n") });
  await upload.getByRole("button", { name: "Upload", exact: true }).click();
  await page.locator('tr[data-file="data.csv"]').getByText("8 B").waitFor();
  check(await fileText(base, ns, "/data.csv") === "a,b\n1,2\n", "the upload is stored as sent");

  await page.getByRole("button", { name: "Rename data.csv" }).click();
  const rename = page.getByRole("form", { name: "Rename data.csv" });
  await rename.getByLabel("New name of data.csv").fill("numbers.csv");
  await rename.getByRole("button", { name: "Save name" }).click();
  await page.locator('tr[data-file="numbers.csv"]').waitFor();
  await page.locator('tr[data-file="data.csv"]').waitFor({ state: "detached" });
  check(await fileText(base, ns, "/numbers.csv") === "a,b\n1,2\n", "the renamed file keeps its content");
  check(await fileText(base, ns, "/data.csv") === null, "the old name is gone");

  const create = page.getByRole("form", { name: "New file" });
  await create.getByLabel("File name").fill("notes.md");
  await create.getByRole("button", { name: "Create file" }).click();
  const editor = page.getByRole("form", { name: "Edit /notes.md" });
  await editor.getByLabel("Content of /notes.md").fill("# Notes\nwritten in the Files tab\n");
  await editor.getByRole("button", { name: "Save file" }).click();
  await editor.getByText("Saved /notes.md.").waitFor();
  check(await fileText(base, ns, "/notes.md") === "# Notes\nwritten in the Files tab\n", "the new file holds what was typed");
  await editor.getByRole("button", { name: "Close" }).click();

  await page.getByRole("button", { name: "Edit numbers.csv" }).click();
  const csv = page.getByRole("form", { name: "Edit /numbers.csv" });
  const area = csv.getByLabel("Content of /numbers.csv");
  check(await area.inputValue() === "a,b\n1,2\n", `the editor opens with the content, got ${await area.inputValue()}`);
  await accessibleInBothThemes(page, "the Files tab with a file open");
  await area.fill("a,b\n1,2\n3,4\n");
  await csv.getByRole("button", { name: "Save file" }).click();
  await csv.getByText("Saved /numbers.csv.").waitFor();
  check(await fileText(base, ns, "/numbers.csv") === "a,b\n1,2\n3,4\n", "the edit is saved");
  await page.locator('tr[data-file="numbers.csv"]').getByText("12 B").waitFor();

  const folder = page.getByRole("form", { name: "New folder" });
  await folder.getByLabel("Folder name").fill("scripts");
  await folder.getByRole("button", { name: "Create folder" }).click();
  await page.getByRole("button", { name: "scripts/" }).click();
  await page.waitForURL(/path=%2Fscripts/);
  await page.getByText("No file here.").waitFor();
  await create.getByLabel("File name").fill("etl.py");
  await create.getByRole("button", { name: "Create file" }).click();
  await page.getByRole("form", { name: "Edit /scripts/etl.py" }).waitFor();
  check(await fileText(base, ns, "/scripts/etl.py") === "", "a new file starts empty, in the folder shown");
  await page.getByRole("button", { name: "Up", exact: true }).click();

  await page.getByRole("button", { name: "Delete notes.md" }).click();
  await page.getByRole("button", { name: "Confirm delete notes.md" }).click();
  await page.locator('tr[data-file="notes.md"]').waitFor({ state: "detached" });
  check(await fileText(base, ns, "/notes.md") === null, "the deleted file is gone");
}

export const FIRSTDAY_SCENARIOS = {
  flows_list_columns: flowsListColumns,
  namespace_counts: namespaceCounts,
  namespace_files_tab: namespaceFilesTab,
};
