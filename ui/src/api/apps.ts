// The REST API calls of apps: managing their YAML, and what an app's page does (see its blocks, submit its form,
// resume or cancel the execution it follows, download a file of it).
import { API, request } from "./client";
import type { Paged } from "./models";
import type { components } from "./types";

const enc = encodeURIComponent;
const yaml = (method: string, source: string): RequestInit => ({
  method, body: source, headers: { "Content-Type": "application/x-yaml" },
});

export type App = components["schemas"]["AppDto"];
export type AppView = components["schemas"]["AppViewDto"];
export type Block = { type: string; [key: string]: unknown };

export const listApps = (): Promise<Paged<App>> => request("/apps?size=1000");
export const appCatalog = (): Promise<App[]> => request("/apps/catalog");
export const getApp = (id: string): Promise<App> => request(`/apps/${enc(id)}`);
export const createApp = (source: string): Promise<App> => request("/apps", yaml("POST", source));
export const updateApp = (id: string, source: string): Promise<App> => request(`/apps/${enc(id)}`, yaml("PUT", source));
export const deleteApp = (id: string): Promise<void> => request(`/apps/${enc(id)}`, { method: "DELETE" });

export const previewApp = (source: string, stage: string): Promise<AppView> =>
  request("/apps/preview", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ source, stage }) });

const withExecution = (executionId: string | null) => (executionId ? `?execution=${enc(executionId)}` : "");

export const viewApp = (id: string, executionId: string | null): Promise<AppView> =>
  request(`/apps/${enc(id)}/view${withExecution(executionId)}`);

export const submitApp = (id: string, form: FormData): Promise<AppView> =>
  request(`/apps/${enc(id)}/executions`, { method: "POST", body: form });

export const resumeApp = (id: string, executionId: string, form: FormData): Promise<AppView> =>
  request(`/apps/${enc(id)}/executions/${enc(executionId)}/resume`, { method: "POST", body: form });

export const cancelApp = (id: string, executionId: string): Promise<AppView> =>
  request(`/apps/${enc(id)}/executions/${enc(executionId)}/cancel`, { method: "POST" });

/** The Server-Sent Events of an app's page following `executionId`. */
export const followAppUrl = (id: string, executionId: string): string =>
  `${API}/apps/${enc(id)}/follow${withExecution(executionId)}`;

/** Where a file (kestra:/// URI) of the app's execution downloads from. */
export const appFileUrl = (id: string, executionId: string, uri: string): string =>
  `${API}/apps/${enc(id)}/executions/${enc(executionId)}/file?path=${enc(uri)}`;
