// The REST API calls of the secrets tab and the audit log page. Values of secrets go in, never come back.
import { API, request } from "./client";
import type { Paged } from "./models";
import type { components } from "./types";

const enc = encodeURIComponent;

export type SecretTag = components["schemas"]["SecretTag"];
export type SecretMeta = components["schemas"]["SecretMeta"];

const secretsPath = (namespace: string) => `/namespaces/${enc(namespace)}/secrets`;

export const secretList = (namespace: string): Promise<components["schemas"]["SecretList"]> =>
  request(`${secretsPath(namespace)}?size=1000`);

export const inheritedSecrets = (namespace: string): Promise<Record<string, string[]>> =>
  request(`/namespaces/${enc(namespace)}/inherited-secrets`);

export const secretPut = (namespace: string, key: string, value: string, description: string): Promise<SecretMeta> =>
  request(secretsPath(namespace), {
    method: "PUT",
    body: JSON.stringify({ key, value, description: description || null }),
    headers: { "Content-Type": "application/json" },
  });

export const secretDelete = (namespace: string, key: string): Promise<void> =>
  request(`${secretsPath(namespace)}/${enc(key)}`, { method: "DELETE" });

export type AuditLog = components["schemas"]["AuditLogDto"];

export const searchAuditLogs = (filters: URLSearchParams, page: number, size: number): Promise<Paged<AuditLog>> => {
  const params = new URLSearchParams(filters);
  params.set("page", String(page));
  params.set("size", String(size));
  return request(`/auditlogs/search?${params}`);
};

export const auditExportUrl = (filters: URLSearchParams): string => `${API}/auditlogs/export?${filters}`;
