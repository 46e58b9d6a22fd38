// Sign-in, one's own account and access management (users, service accounts, tokens, groups, roles,
// bindings): the REST calls and the shapes of their answers (api/iam_dto.py).
import { API, request, requestAt } from "./client";
import type { components } from "./types";

type Schemas = components["schemas"];

const enc = encodeURIComponent;
const json = (body: unknown): RequestInit => ({ body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });

export type PermissionGrant = Schemas["PermissionGrant"];

export type Me = Schemas["Me"];

export type SignInMethods = Schemas["SignInMethods"];

export type SignedIn = Schemas["SignedIn"];

export type TenantRef = Schemas["TenantRef"];

/** The caller, with its permissions in the page's tenant and the tenants it may open. */
export const getMe = (): Promise<Me> => requestAt(`${API}/me`);

/** The caller in `main`, where every account can ask which tenants it may open. */
export const getMeInMain = (): Promise<Me> => requestAt("/api/v1/me");

/** As `getMeInMain`, for the sign-in page itself: a 401 (not signed in) stays here instead of sending to sign-in. */
export const whoAmI = (): Promise<Me> => requestAt("/api/v1/me", undefined, "json", true);

export const signInMethods = (): Promise<SignInMethods> => requestAt("/api/v1/auth/providers");

export const signIn = (username: string, password: string): Promise<SignedIn> =>
  requestAt("/api/v1/login", { method: "POST", ...json({ username, password }) }, "json", true);

export const signOut = (): Promise<void> => requestAt("/api/v1/logout", { method: "POST" }, "json", true);

export const changeOwnPassword = (currentPassword: string, password: string): Promise<void> =>
  requestAt("/api/v1/me/password", { method: "PUT", ...json({ currentPassword, password }) });

export type ApiToken = Schemas["TokenDto"];

export type IssuedToken = Schemas["IssuedTokenDto"];

export type TokenRequest = Schemas["TokenCreate"];

/** Where an account's tokens live: one's own (`/api/v1/me`) or a user's or service account's. */
export type TokenOwner = { self: true } | { self: false; kind: AccountKind; id: string };

const tokensUrl = (owner: TokenOwner): string =>
  owner.self ? "/api/v1/me/api-tokens" : `${API}/${owner.kind === "USER" ? "users" : "service-accounts"}/${enc(owner.id)}/api-tokens`;

export const listTokens = (owner: TokenOwner): Promise<ApiToken[]> => requestAt(tokensUrl(owner));

export const createToken = (owner: TokenOwner, body: TokenRequest): Promise<IssuedToken> =>
  requestAt(tokensUrl(owner), { method: "POST", ...json(body) });

export const revokeToken = (owner: TokenOwner, tokenId: string): Promise<void> =>
  requestAt(`${tokensUrl(owner)}/${enc(tokenId)}`, { method: "DELETE" });

export type AccountKind = "USER" | "SERVICE_ACCOUNT";

export type Account = Schemas["AccountDto"];

const accounts = (kind: AccountKind) => (kind === "USER" ? "/users" : "/service-accounts");

export const listAccounts = (kind: AccountKind): Promise<Account[]> => request(accounts(kind));

export const createUser = (body: { username: string; password: string | null; displayName: string }): Promise<Account> =>
  request("/users", { method: "POST", ...json(body) });

export const createServiceAccount = (body: { name: string; description: string }): Promise<Account> =>
  request("/service-accounts", { method: "POST", ...json(body) });

export const setAccountDisabled = (kind: AccountKind, id: string, disabled: boolean): Promise<Account> =>
  request(`${accounts(kind)}/${enc(id)}`, { method: "PUT", ...json({ disabled }) });

export const deleteAccount = (kind: AccountKind, id: string): Promise<void> =>
  request(`${accounts(kind)}/${enc(id)}`, { method: "DELETE" });

export const setUserPassword = (id: string, password: string): Promise<void> =>
  request(`/users/${enc(id)}/password`, { method: "PUT", ...json({ password }) });

export type Group = Schemas["GroupDto"];

export const listGroups = (): Promise<Group[]> => request("/groups");
export const getGroup = (id: string): Promise<Group> => request(`/groups/${enc(id)}`);
export const createGroup = (name: string, description: string): Promise<Group> =>
  request("/groups", { method: "POST", ...json({ name, description }) });
export const deleteGroup = (id: string): Promise<void> => request(`/groups/${enc(id)}`, { method: "DELETE" });
export const setGroupMember = (id: string, accountId: string, member: boolean): Promise<void> =>
  request(`/groups/${enc(id)}/members/${enc(accountId)}`, { method: member ? "PUT" : "DELETE" });

export type Role = Schemas["RoleDto"];

export type RoleBody = Schemas["RoleBody"];

export const listRoles = (): Promise<Role[]> => request("/roles");
export const createRole = (body: RoleBody): Promise<Role> => request("/roles", { method: "POST", ...json(body) });
export const updateRole = (id: string, body: RoleBody): Promise<Role> =>
  request(`/roles/${enc(id)}`, { method: "PUT", ...json(body) });
export const deleteRole = (id: string): Promise<void> => request(`/roles/${enc(id)}`, { method: "DELETE" });

export type SubjectType = "USER" | "GROUP" | "SERVICE_ACCOUNT";

export type Binding = Schemas["BindingDto"];

export type BindingBody = Schemas["BindingCreate"];

export const listBindings = (): Promise<Binding[]> => request("/bindings");
export const createBinding = (body: BindingBody): Promise<Binding> => request("/bindings", { method: "POST", ...json(body) });
export const deleteBinding = (id: string): Promise<void> => request(`/bindings/${enc(id)}`, { method: "DELETE" });

export type ScimIntegration = Schemas["ScimIntegrationDto"];
/** A new integration, with the bearer token its identity provider sends: in this answer only. */
export type CreatedScimIntegration = Schemas["ScimIntegrationCreated"];

export const listIntegrations = (): Promise<ScimIntegration[]> => request("/integrations");
export const createIntegration = (description: string): Promise<CreatedScimIntegration> =>
  request("/integrations", { method: "POST", ...json({ description }) });
export const setIntegrationEnabled = (id: string, enabled: boolean): Promise<ScimIntegration> =>
  request(`/integrations/${enc(id)}`, { method: "PUT", ...json({ enabled }) });
export const deleteIntegration = (id: string): Promise<void> => request(`/integrations/${enc(id)}`, { method: "DELETE" });

// Tenants (/api/v1/tenants, Kestra EE's paths): managed by the instance owner and admins of `main`.
export type Tenant = Schemas["TenantDto"];

export const listTenants = async (): Promise<Tenant[]> =>
  (await requestAt<Schemas["Paged_TenantDto_"]>("/api/v1/tenants/search?size=1000")).results;
export const createTenant = (id: string, name: string): Promise<Tenant> =>
  requestAt("/api/v1/tenants", { method: "POST", ...json({ id, name: name || null }) });
export const renameTenant = (id: string, name: string): Promise<Tenant> =>
  requestAt(`/api/v1/tenants/${enc(id)}`, { method: "PUT", ...json({ name }) });
export const deleteTenant = (id: string): Promise<void> => requestAt(`/api/v1/tenants/${enc(id)}`, { method: "DELETE" });
