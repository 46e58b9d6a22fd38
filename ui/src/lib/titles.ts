// The browser tab's title for each page, from its path (inside the /ui basename): what the page shows, then
// the section, then "Legato" — so that tabs and history entries can be told apart ("tutorial.hello ·
// Executions · Legato").
const SECTIONS: Record<string, string> = {
  dashboard: "Dashboard", dashboards: "Dashboards", flows: "Flows", executions: "Executions", triggers: "Triggers", namespaces: "Namespaces",
  blueprints: "Blueprints", plugins: "Plugins", settings: "Settings", audit: "Audit log", login: "Sign in",
  account: "Account", admin: "Administration", apps: "Apps", assets: "Assets",
};
const ADMIN: Record<string, string> = {
  users: "Users", groups: "Groups", roles: "Roles", bindings: "Bindings", "service-accounts": "Service accounts",
};
const FLOW_TABS: Record<string, string> = {
  "": "Overview", editor: "Editor", executions: "Executions", revisions: "Revisions", triggers: "Triggers", logs: "Logs",
};
const EXECUTION_TABS: Record<string, string> = { "": "Overview", gantt: "Gantt", logs: "Logs", topology: "Topology", outputs: "Outputs", assets: "Assets" };
const cap = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

export function titleFor(pathname: string): string {
  const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const [section = "", first, second, third = ""] = parts;
  const named = (...words: string[]) => [...words, "Legato"].join(" · ");
  if (!section) return "Legato";
  if (!(section in SECTIONS)) return named("Page not found");
  if (section === "flows" && first === "new") return named("New flow", "Flows");
  if (section === "apps" && first === "new") return named("New app", "Apps");
  if (section === "flows" && first && second) return named(`${first}.${second}`, FLOW_TABS[third] ?? cap(third));
  if (section === "executions" && first) return named(`Execution ${first.slice(0, 8)}`, EXECUTION_TABS[second ?? ""] ?? cap(second ?? ""));
  if (section === "namespaces" && first) return named(first, second ? (second === "kv" ? "KV" : cap(second)) : "Namespace");
  if (section === "admin" && first) return named(ADMIN[first] ?? first, SECTIONS[section]!);
  if (first) return named(first, SECTIONS[section]!);
  return named(SECTIONS[section]!);
}
