// What every browser scenario uses: a failed check, set-up through the REST API (what the UI would do is what
// a scenario checks), and waiting for an execution's state as the user sees it.

export const TIMEOUT = 20_000;

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

export async function api(base, method, path, body, headers = {}) {
  const response = await fetch(`${base}/api/v1/main${path}`, { method, body, headers });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

export const deploy = (base, source) => api(base, "POST", "/flows", source, { "Content-Type": "application/x-yaml" });
export const uid = () => Math.random().toString(36).slice(2, 8);

/** Wait until the execution page shows `state`, reading the badge the user sees. */
export async function stateIs(page, state, timeout = TIMEOUT) {
  await page.getByLabel("Execution state").getByText(state, { exact: true }).waitFor({ timeout });
}
