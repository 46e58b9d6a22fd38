// The tenant a page of the UI shows, from its address, as Kestra's UI paths carry it: `/ui/<tenant>/flows/...`;
// un-prefixed paths (`/ui/flows/...`) are pages of `main`. The tenant is fixed for the life of a page: switching
// tenants loads the UI again at the other tenant's address, so nothing read in one tenant stays on screen (or in
// the query cache) in another.

export const MAIN = "main";

/** The UI's own first path segments: a page of `main` when a path starts with one of them. Tenant ids cannot
 * take these names (legato.services.tenants.UI_SECTIONS; a test keeps both lists equal). */
export const SECTIONS = [
  "dashboard", "dashboards", "flows", "apps", "assets", "executions", "triggers", "namespaces",
  "blueprints", "plugins", "audit", "account", "admin", "settings", "login",
] as const;

const SECTION_SET: ReadonlySet<string> = new Set(SECTIONS);

export interface UiTenant {
  /** The tenant's id. */
  tenant: string;
  /** Whether the address names it (`/ui/main/...` does, `/ui/flows` does not). */
  explicit: boolean;
  /** The router's base: `/ui` or `/ui/<tenant>`; the app's own links are relative to it, so they keep the tenant. */
  basename: string;
}

/** The tenant of a full browser path (starting `/ui`). */
export function tenantOf(pathname: string): UiTenant {
  const rest = pathname.startsWith("/ui/") ? pathname.slice(4) : "";
  const first = rest.split("/")[0] ?? "";
  if (!first || SECTION_SET.has(first) || first.startsWith("_") || first.includes(".")) {
    return { tenant: MAIN, explicit: false, basename: "/ui" };
  }
  let tenant = first;
  try {
    tenant = decodeURIComponent(first);
  } catch {
    // a malformed escape: keep the segment as typed; the API answers that no such tenant exists
  }
  return { tenant, explicit: true, basename: `/ui/${first}` };
}

/** The tenant of this page (main outside a browser, as in unit tests). */
export const CURRENT: UiTenant = tenantOf(typeof window === "undefined" ? "/ui/" : window.location.pathname);

/** The full address of a page of the UI in `tenant` (`path` as the router knows it, starting with `/`): `main`'s
 * pages keep their un-prefixed addresses. */
export function uiPath(tenant: string, path = "/"): string {
  return tenant === MAIN ? `/ui${path}` : `/ui/${encodeURIComponent(tenant)}${path}`;
}

/** The full address of `path` in the current page's tenant, as it is named there (`/ui/main/...` stays so). */
export function here(path = "/"): string {
  return `${CURRENT.basename}${path}`;
}
