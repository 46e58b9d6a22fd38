// The secret canary's UI pages (test_secret_canary.py): signs in on Debian's Chromium through the sign-in page,
// opens each page asked for, waits until the texts that prove it rendered the execution or flow are shown, and
// prints, as one JSON array on stdout, each page's rendered text and HTML for the test to search for the canary.
// Usage: node canary_pages.mjs < {"base": URL, "user": NAME, "password": PASSWORD, "pages": [{"path", "expect"}]}
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

// playwright-core is a dev dependency of ui/, installed by `make ui` (npm ci).
const require = createRequire(new URL("../../ui/package.json", import.meta.url));
const { chromium } = require("playwright-core");

const CHROMIUM = process.env.LEGATO_CHROMIUM ?? "/usr/bin/chromium";
const TIMEOUT = 20_000;
const { base, user, password, pages } = JSON.parse(readFileSync(0, "utf8"));

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const results = [];
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(TIMEOUT);
  await page.goto(`${base}/ui/login`);
  const form = page.getByRole("form", { name: "Sign in" });
  await form.getByLabel("User name").fill(user);
  await form.getByLabel("Password").fill(password);
  await form.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: `User menu: ${user}` }).waitFor();
  for (const { path, expect } of pages) {
    await page.goto(`${base}${path}`);
    let missing = expect;
    try {
      // every expected text shown at once (a page renders in steps: state first, task runs, then logs), with every
      // collapsed part (the audit log's changes) opened so that its rendered text is searched too
      await page.waitForFunction((texts) => {
        document.querySelectorAll("details").forEach((d) => { d.open = true; });
        return texts.every((t) => document.body.innerText.includes(t));
      }, expect, { timeout: TIMEOUT });
      missing = [];
    } catch {
      const shown = await page.evaluate(() => document.body.innerText);
      missing = expect.filter((t) => !shown.includes(t));
    }
    await page.evaluate(() => document.querySelectorAll("details").forEach((d) => { d.open = true; }));
    await page.waitForTimeout(300);  // what arrives with the last query (outputs, a late log line) is rendered too
    const text = await page.evaluate(() => document.body.innerText);
    results.push({ path, url: page.url(), text, html: await page.content(), missing });
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(results));
