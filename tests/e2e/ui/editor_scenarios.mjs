// Browser scenarios of the flow editor (Monaco), its side panel, namespace files and revisions.
// Imported by browser.mjs, which runs them (and saves a screenshot on failure).
import { api, check } from "./support.mjs";

/** Replace the whole text of the Monaco editor named `label`, as a paste (no auto-indent on the way); retried
 * until the editor shows the new last line (a paste that lands while Monaco still starts up is dropped). */
export async function setSource(page, label, text) {
  const box = page.getByRole("textbox", { name: label });
  await box.waitFor({ state: "attached" });
  const editor = page.locator(".monaco-editor", { has: box });
  // The last line with text: visible after the paste, since the cursor ends there.
  const last = text.split("\n").map((l) => l.trim()).filter(Boolean).pop() ?? "";
  for (let attempt = 0; ; attempt++) {
    await box.focus();
    await page.keyboard.press("Control+A");
    await box.evaluate((element, value) => {
      const data = new DataTransfer();
      data.setData("text/plain", value);
      element.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
    }, text);
    try {
      // Rendered whitespace shows as U+00A0 and (leading or trailing) U+00B7.
      await page.waitForFunction(([root, line]) => [...root.querySelectorAll(".view-lines .view-line")]
        .some((l) => l.textContent.replace(/[\u00a0\u00b7]/g, " ").trim() === line), [await editor.elementHandle(), last],
      { timeout: 2_000 });
      return;
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

/** The 1-based lines that carry an error squiggle in the Monaco editor inside `scope` (text scrolled to top). */
export async function markedLines(scope) {
  return scope.locator(".monaco-editor").first().evaluate((editor) => {
    const line = editor.querySelector(".view-line");
    const height = line ? line.getBoundingClientRect().height : 19;
    return [...editor.querySelectorAll(".view-overlays .squiggly-error")]
      .map((s) => Math.round(parseFloat(s.parentElement.style.top) / height) + 1);
  });
}

const NEW_FLOW = `id: made_in_editor
namespace: e2e.editor
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: first
  - id: greet
    message: "Hi there"
    type: `;

/** New flow: completion offers task types, docs follow the cursor, a typo is marked at its line, the live
 * topology draws; save (Ctrl+S) creates revision 1, another save revision 2; Revisions: diff, unified, restore. */
/** Ask for completion at the end of the source until task types are offered (the YAML worker starts meanwhile).
 * Task types come from the flows' JSON Schema, which a server builds on its first request, every plugin loaded
 * then: that request is awaited first, however long it takes on a busy machine. */
export async function offerTaskTypes(page, base, what = "no task type offered") {
  await api(base, "GET", "/plugins/schemas/flow");
  const suggestions = page.locator(".suggest-widget");
  for (let attempt = 0; ; attempt++) {
    await page.keyboard.press("Control+End");
    await page.keyboard.press("Control+Space");
    try {
      await suggestions.getByRole("option", { name: /^[a-z][\w.]*\.[A-Z]\w*\b/ }).first().waitFor({ timeout: 2_000 });
      return;
    } catch (error) {
      if (attempt === 5) throw new Error(`${what}: ${error.message}`);
      await page.keyboard.press("Escape");
    }
  }
}

async function flowEditor(page, base) {
  const scripts = [];
  page.on("request", (r) => scripts.push(r.url()));
  await page.goto(`${base}/ui/flows`);
  await page.getByRole("link", { name: "Create flow" }).waitFor();
  check(!scripts.some((u) => /FlowEditor|worker/.test(u)), `the flows list must not load the editor: ${scripts.join(" ")}`);
  await page.getByRole("link", { name: "Create flow" }).click();
  await page.waitForURL(/\/ui\/flows\/new$/);
  await page.getByRole("textbox", { name: "Flow YAML source" }).waitFor({ state: "attached" });
  check(scripts.some((u) => /FlowEditor-[\w-]+\.js/.test(u)), "the editor chunk should load on demand");

  // Completion of a task type from the flow schema.
  await setSource(page, "Flow YAML source", NEW_FLOW);
  await offerTaskTypes(page, base);
  const suggestions = page.locator(".suggest-widget");
  await page.keyboard.type("core.log.Log", { delay: 20 });
  await suggestions.getByRole("option", { name: /^io\.kestra\.plugin\.core\.log\.Log\b/ }).click();
  await page.getByText("✓ Valid flow").waitFor();
  const line9 = await page.locator(".view-line").nth(8).innerText();
  check(/type:\s+io\.kestra\.plugin\.core\.log\.Log/.test(line9.replace(/\u00a0/g, " ")), `completion should insert the type, line 9 is: ${line9}`);

  // The docs panel follows the task under the cursor.
  const docs = page.getByRole("article", { name: "Documentation of io.kestra.plugin.core.log.Log" });
  await docs.waitFor();
  await docs.getByRole("table").getByRole("rowheader", { name: "message" }).first().waitFor();
  check(await docs.locator("script").count() === 0, "documentation must be sanitised");

  // Hover shows the schema's description of a key.
  await page.locator(".view-line").nth(1).getByText("namespace", { exact: true }).hover();
  await page.locator(".monaco-hover").getByText("Dotted namespace", { exact: false }).first().waitFor();
  await page.mouse.move(1000, 850);

  // Dark mode follows the app's theme.
  await page.getByRole("button", { name: "Dark mode" }).click();
  await page.locator(".flow-editor .monaco-editor.vs-dark").waitFor();
  await page.getByRole("button", { name: "Dark mode" }).click();
  await page.locator(".flow-editor .monaco-editor.vs").waitFor();

  // A typo in a task type: a marker on its line, listed with the message.
  const typo = `${NEW_FLOW}io.kestra.plugin.core.log.Lgo\n`;
  await setSource(page, "Flow YAML source", typo);
  const problems = page.getByRole("list", { name: "Validation problems" });
  await problems.getByRole("button", { name: "Line 9" }).waitFor();
  check((await problems.innerText()).includes("unknown task type"), `the problem should name the typo: ${await problems.innerText()}`);
  await page.waitForFunction(() => document.querySelectorAll(".view-overlays .squiggly-error").length > 0);
  const lines = await markedLines(page.locator(".flow-editor"));
  check(lines.length > 0 && lines.every((l) => l === 9), `the marker should sit on line 9, got lines ${lines}`);

  // Fixed: the live topology draws the unsaved flow.
  await setSource(page, "Flow YAML source", typo.replace("Lgo", "Log"));
  await page.getByText("✓ Valid flow").waitFor();
  await page.getByRole("tab", { name: "Topology" }).click();
  await page.getByRole("img", { name: "Topology: 2 tasks" }).waitFor();

  // Ctrl+S saves: revision 1, then an edit and revision 2.
  await page.getByRole("textbox", { name: "Flow YAML source" }).focus();
  await page.keyboard.press("Control+S");
  await page.waitForURL(/\/ui\/flows\/e2e\.editor\/made_in_editor\/editor/);
  await page.getByText(/^Created revision 1$/).waitFor();
  await setSource(page, "Flow YAML source", typo.replace("Lgo", "Log").replace("message: first", "message: second"));
  await page.getByText("✓ Valid flow").waitFor();
  // Unsaved: flagged, and leaving by a link asks first (answered "no": still in the editor with the edit).
  const unsaved = page.getByLabel("Unsaved changes");
  await unsaved.waitFor();
  let asked = "";
  page.expectDialog = (dialog) => { asked = dialog.message(); return dialog.dismiss(); };
  await page.getByRole("link", { name: "Revisions" }).click();
  check(asked.includes("unsaved changes"), `leaving should ask first, asked: "${asked}"`);
  check(page.url().includes("/editor"), `the editor should stay open, at ${page.url()}`);
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.getByText("Saved revision 2").waitFor();
  await unsaved.waitFor({ state: "detached" });

  // Revisions: diff 1 → 2, unified view, restore 1 as revision 3.
  await page.getByRole("link", { name: "Revisions" }).click();
  await page.waitForURL(/\/revisions/);
  const diff = page.getByRole("region", { name: "Differences between revisions 1 and 2" });
  await diff.waitFor();
  await diff.locator(".char-insert, .line-insert").first().waitFor();
  check((await diff.innerText()).includes("second"), "the diff should show the new message");
  await page.getByLabel("Unified diff").click(); // a controlled box: its state follows the URL a moment later
  await page.waitForURL(/view=unified/);
  await page.getByRole("checkbox", { name: "Unified diff", checked: true }).waitFor();
  await page.getByRole("button", { name: "Restore revision 1" }).click();
  await page.getByText("Restored as revision 3").waitFor();
  await page.getByRole("region", { name: "Differences between revisions 2 and 3" }).waitFor();
  const stored = await (await page.request.get(`${base}/api/v1/main/flows/e2e.editor/made_in_editor?source=true`)).json();
  check(stored.revision === 3 && stored.source.includes("message: first"), `revision 3 should be revision 1's source: ${JSON.stringify(stored)}`);
  check((await page.getByRole("row").count()) === 4, "three revisions (plus the header row) should be listed");
}

/** Namespace files from the editor: create, edit, save, reopen, delete. */
async function namespaceFile(page, base) {
  const api = `${base}/api/v1/main/namespaces/tutorial/files`;
  await page.goto(`${base}/ui/flows/tutorial/hello/editor?panel=files`);
  await page.getByRole("tab", { name: "Files", selected: true }).waitFor();
  await page.getByLabel("New file path").fill("scripts/etl.py");
  await page.getByRole("button", { name: "New file" }).click();
  const file = page.getByRole("region", { name: "File /scripts/etl.py" });
  await file.waitFor();
  // the new file is empty: opened again from the server (an empty body), it still opens in the editor
  await page.reload();
  const folder = page.getByRole("tree", { name: "Files of tutorial" }).getByRole("button", { name: /scripts\// });
  await folder.click();
  await page.getByRole("button", { name: "etl.py" }).click();
  await file.getByRole("button", { name: "Save file" }).waitFor();
  await folder.click(); // folded again, as the steps below expect
  await setSource(page, "Content of /scripts/etl.py", "print('hello from a namespace file')\n");
  await file.getByText("modified").waitFor();
  await file.getByRole("button", { name: "Save file" }).click();
  await file.getByText("Saved").waitFor();
  const saved = await page.request.get(`${api}?path=/scripts/etl.py`);
  check(saved.ok() && (await saved.text()) === "print('hello from a namespace file')\n", `the file should be stored: ${await saved.text()}`);

  const tree = page.getByRole("tree", { name: "Files of tutorial" });
  await tree.getByRole("button", { name: /scripts\// }).click();
  await tree.getByRole("button", { name: "etl.py" }).waitFor();
  await page.reload();
  await page.getByRole("tree", { name: "Files of tutorial" }).getByRole("button", { name: /scripts\// }).click();
  await page.getByRole("button", { name: "etl.py" }).click();
  await page.getByRole("region", { name: "File /scripts/etl.py" }).locator(".view-line").first().getByText("print('hello from a namespace file')").waitFor();
  await page.getByRole("button", { name: "Delete file" }).click();
  await page.getByRole("group", { name: "Confirm deletion" }).getByRole("button", { name: "Delete" }).click();
  await page.getByRole("region", { name: "File /scripts/etl.py" }).waitFor({ state: "detached" });
  check((await page.request.get(`${api}?path=/scripts/etl.py`)).status() === 404, "the file should be deleted");
}

/** A 2,000-line flow stays responsive: typing costs no long main-thread task, validation and the docs panel
 * still follow. Prints the figures. */
async function bigFlow(page, base) {
  const lines = ["id: big", "namespace: e2e.big", "tasks:"];
  for (let i = 0; i < 500; i++) lines.push(`  - id: t${i}`, "    type: io.kestra.plugin.core.log.Log", `    message: "line ${i}"`, "");
  const source = lines.join("\n");
  const typed = " and more words typed at the end of a 2,000-line flow";
  await page.goto(`${base}/ui/flows/new`);
  // Baseline: the same keys in the 14-line template (the driver's own cost per key is in both figures).
  const small = page.getByRole("textbox", { name: "Flow YAML source" });
  await small.waitFor({ state: "attached" });
  await small.focus();
  await page.keyboard.press("Control+End");
  let started = Date.now();
  await page.keyboard.type(typed);
  const baseline = Date.now() - started;
  await setSource(page, "Flow YAML source", source);
  started = Date.now();
  await page.getByText("✓ Valid flow").waitFor({ timeout: 30_000 });
  const firstCheck = Date.now() - started;
  await page.evaluate(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => window.__longTasks.push(...list.getEntries().map((e) => e.duration)))
      .observe({ type: "longtask", buffered: false });
  });
  await page.keyboard.press("Control+End");
  await page.keyboard.press("ArrowUp");
  await page.keyboard.press("End");
  await page.keyboard.press("ArrowLeft"); // inside the closing quote
  started = Date.now();
  await page.keyboard.type(typed);
  const typing = Date.now() - started;
  started = Date.now();
  await page.getByText("✓ Valid flow").waitFor({ timeout: 30_000 });
  const settle = Date.now() - started;
  const longTasks = await page.evaluate(() => window.__longTasks);
  const docs = page.getByRole("article", { name: "Documentation of io.kestra.plugin.core.log.Log" });
  await docs.getByText("Task t499", { exact: false }).waitFor();
  console.log(`big_flow: ${lines.length} lines; first validation ${firstCheck} ms; ${typed.length} keys in ${typing} ms ` +
    `(${(typing / typed.length).toFixed(1)} ms/key incl. the driver; ${(baseline / typed.length).toFixed(1)} ms/key in the ` +
    `14-line template); long tasks while typing: ${longTasks.length} ` +
    `(max ${Math.round(Math.max(0, ...longTasks))} ms); validation after typing ${settle} ms`);
  // Work done per key on the whole text (a parse, a render of every line) would block on most of the keys; a loaded
  // machine can stretch one or two ordinary tasks past 200 ms too, so those are tolerated.
  check(longTasks.filter((d) => d > 200).length <= 2, `typing should not block the page: long tasks ${longTasks}`);
}

export const EDITOR_SCENARIOS = { flow_editor: flowEditor, namespace_file: namespaceFile, big_flow: bigFlow };
