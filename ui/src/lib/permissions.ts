// What the signed-in caller may do, from GET /api/v1/me: the UI hides what it may not (the API refuses it anyway).
import { useQuery, type UseQueryResult } from "@tanstack/react-query";
import { getMe, type Me } from "../api/iam";

/** The caller in the page's tenant, read once per page load (sign-in, sign-out and switching tenants reload the
 * page); an error when the tenant does not exist. */
export function useMeQuery(): UseQueryResult<Me> {
  return useQuery({ queryKey: ["me"], queryFn: getMe, staleTime: Infinity, retry: false });
}

/** The caller in the page's tenant, once known. */
export function useMe(): Me | undefined {
  return useMeQuery().data;
}

/** Whether the caller may open the page's tenant: the owner, anyone while authentication is off, or an account
 * bound there. The API refuses the others anyway; the UI then says so instead of showing empty pages. */
export const mayOpen = (me: Me): boolean => me.owner || me.tenants.some((t) => t.id === me.tenant);

/** Authentication is off: anyone has every permission, and there is no one to sign in or out. */
export const openMode = (me: Me): boolean => me.kind === "ANONYMOUS";

/** `permission` (RESOURCE:ACTION) on the whole instance: what access management and the audit log need. */
export function canOnInstance(me: Me | undefined, permission: string): boolean {
  if (!me) return false;
  return me.owner || me.permissions.some((p) => p.permission === permission && p.namespaces === null);
}

/** `permission` on `namespace`: a grant everywhere, or on it or one of its parents (`dev` covers `dev.team`,
 * never `development`). */
export function canIn(me: Me | undefined, permission: string, namespace: string): boolean {
  if (!me) return false;
  return me.owner || me.permissions.some((p) => p.permission === permission
    && (p.namespaces === null || p.namespaces.some((n) => namespace === n || namespace.startsWith(`${n}.`))));
}

/** `permission` on at least one namespace (a button that picks its namespace later). */
export function canSomewhere(me: Me | undefined, permission: string): boolean {
  if (!me) return false;
  return me.owner || me.permissions.some((p) => p.permission === permission);
}

/** What reading and changing a namespace's files needs on it (the API's rules for its files routes): the Files
 * tab and the editor's files panel show to those with the first, their write controls to those with the second. */
export const READ_FILES = "NAMESPACE:ACCESS_FILES";
export const WRITE_FILES = "NAMESPACE:MANAGE_FILES";

/** The access-management sections the caller may open, in menu order. */
export const ADMIN_SECTIONS = [
  { path: "users", label: "Users", permission: "USER:LIST" },
  { path: "groups", label: "Groups", permission: "GROUP:LIST" },
  { path: "roles", label: "Roles", permission: "ROLE:LIST" },
  { path: "bindings", label: "Bindings", permission: "BINDING:LIST" },
  { path: "service-accounts", label: "Service accounts", permission: "SERVICE_ACCOUNT:LIST" },
  // each SCIM integration acts as a service account of its own: the API checks SERVICE_ACCOUNT:* for them
  { path: "integrations", label: "SCIM integrations", permission: "SERVICE_ACCOUNT:LIST" },
  { path: "tenants", label: "Tenants", permission: "TENANT:LIST" },
] as const;

export const adminSections = (me: Me | undefined) => ADMIN_SECTIONS.filter((s) => canOnInstance(me, s.permission));

/** Where to go after signing in: a page of the UI only (never another site). */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith("/ui/") || next.startsWith("//") || next.includes("\\") || /[\u0000-\u001f]/.test(next)) {
    return "/ui/";
  }
  return next;
}
