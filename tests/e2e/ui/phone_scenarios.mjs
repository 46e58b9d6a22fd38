// The web UI at phone width (390×844, an iPhone's viewport): the main pages fit the screen's width (a wide
// table scrolls inside its own box, never the page), their controls do not overlap, the navigation folds behind
// a Menu button that opens, closes with Escape (focus back on the button) and navigates, and axe-core finds
// nothing on the home page, the flows list or an execution at that width. Run by browser.mjs.
import { checkPages } from "./a11y_scenarios.mjs";
import { api, check, deploy, uid } from "./support.mjs";

export const PHONE = { width: 390, height: 844 };

/** What makes the page wider than the screen: its scroll width and the widest elements that stick out. */
function overflow() {
  const width = window.innerWidth;
  const page = document.scrollingElement.scrollWidth;
  // An element clipped by a scrolling box inside the screen does not widen the page (an absolutely placed one
  // may escape it: listed too).
  const clipped = (e) => {
    if (getComputedStyle(e).position === "absolute") return false;
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible") return a.getBoundingClientRect().right <= width + 1;
    }
    return false;
  };
  const out = [...document.querySelectorAll("body *")]
    .filter((e) => e.getBoundingClientRect().right > width + 1 && e.getClientRects().length > 0 && !e.closest(".monaco-editor") && !clipped(e))
    .slice(-8)
    .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join(".")} right=${Math.round(e.getBoundingClientRect().right)}`);
  return { width, page, out };
}

/** Pairs of visible controls on the page whose boxes overlap (the editor's own insides excepted). */
function overlaps() {
  const controls = [...document.querySelectorAll("button, a[href], input, select, textarea, [role=tab]")]
    .filter((e) => !e.closest(".monaco-editor, .sr-only, .skip") && e.getClientRects().length > 0)
    .filter((e) => getComputedStyle(e).visibility !== "hidden");
  const boxes = controls.map((e) => [e, e.getBoundingClientRect()]);
  const name = (e) => `${e.tagName.toLowerCase()} "${(e.getAttribute("aria-label") ?? e.textContent ?? "").trim().slice(0, 30)}"`;
  const found = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, ra] = boxes[i];
      const [b, rb] = boxes[j];
      if (a.contains(b) || b.contains(a)) continue;
      const x = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
      const y = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
      if (x > 2 && y > 2) found.push(`${name(a)} overlaps ${name(b)}`);
    }
  }
  return found.slice(0, 8);
}

async function fits(page, base, path) {
  await page.goto(base + path);
  await page.getByRole("heading", { level: 1 }).first().waitFor();
  await page.waitForLoadState("networkidle");
  const { width, page: scrollWidth, out } = await page.evaluate(overflow);
  check(scrollWidth <= width, `${path}: the page is ${scrollWidth} px wide on a ${width} px screen; sticking out: ${out.join(", ")}`);
  const crossed = await page.evaluate(overlaps);
  check(crossed.length === 0, `${path}: controls overlap: ${crossed.join("; ")}`);
}

/** The Menu button opens the navigation, Escape closes it with focus back on the button, a link navigates. */
async function menu(page, base) {
  await page.goto(`${base}/ui/`);
  const button = page.getByRole("button", { name: "Menu" });
  check(await button.getAttribute("aria-expanded") === "false", "the menu starts closed");
  const controls = await button.getAttribute("aria-controls");
  check(await page.locator(`nav#${controls}[aria-label="Main"]`).count() === 1, `the button should control the main navigation, not #${controls}`);
  check(!(await page.locator(`#${controls}`).isVisible()), "the links are folded away at phone width");
  await button.click();
  const nav = page.getByRole("navigation", { name: "Main" });
  check(await button.getAttribute("aria-expanded") === "true", "the button says the menu is open");
  await nav.getByRole("link", { name: "Executions" }).waitFor();
  await page.keyboard.press("Escape");
  await nav.getByRole("link", { name: "Executions" }).waitFor({ state: "hidden" });
  check(await button.getAttribute("aria-expanded") === "false", "Escape closes the menu");
  check(await button.evaluate((e) => e === document.activeElement), "Escape gives focus back to the Menu button");
  await button.press("Enter");
  await nav.getByRole("link", { name: "Flows" }).click();
  await page.waitForURL(/\/ui\/flows$/);
  await page.getByRole("heading", { level: 1, name: "Flows" }).waitFor();
  check(await button.getAttribute("aria-expanded") === "false", "following a link closes the menu");
}

/** The editor's panes stack: the code above the side panel, each the screen's width. */
async function editorStacked(page, base) {
  await page.goto(`${base}/ui/flows/tutorial/hello/editor`);
  const code = page.locator(".flow-source").first();
  const side = page.locator(".side-panel").first();
  await code.waitFor();
  await side.waitFor();
  const [c, s] = [await code.boundingBox(), await side.boundingBox()];
  check(c.y + c.height <= s.y + 1, `the side panel should be below the code (code ends at ${c.y + c.height}, panel starts at ${s.y})`);
  check(c.width > PHONE.width * 0.8, `the code should take the screen's width, got ${c.width} px`);
}

async function phoneWidth(page, base) {
  await page.setViewportSize(PHONE);
  const done = await api(base, "POST", "/executions/tutorial/hello?wait=true", new FormData());
  // a failure too: the dashboard then lists it in a table (ids, dates and states make a wide row)
  const ns = `e2e.phone${uid()}`;
  await deploy(base, `id: fails\nnamespace: ${ns}\ntasks:\n  - id: boom\n    type: io.kestra.plugin.core.execution.Fail\n`);
  await api(base, "POST", `/executions/${ns}/fails?wait=true`, new FormData());
  const pages = ["/ui/", "/ui/dashboard", "/ui/flows", "/ui/executions", `/ui/executions/${done.id}`,
    `/ui/executions/${done.id}/logs`, `/ui/executions/${done.id}/gantt`, "/ui/flows/tutorial/hello",
    "/ui/flows/tutorial/hello/editor"];
  const problems = [];
  for (const path of pages) await fits(page, base, path).catch((error) => problems.push(error.message));
  check(problems.length === 0, `${problems.length} pages do not fit a phone:\n${problems.join("\n")}`);
  await menu(page, base);
  await editorStacked(page, base);
  // The home page, and two whose tables scroll in their box (a table keeps its semantics when it scrolls).
  await checkPages(page, base, ["/ui/", "/ui/flows", `/ui/executions/${done.id}`]);
}

export const PHONE_SCENARIOS = { phone_width: phoneWidth };
