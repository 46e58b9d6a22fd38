// The one place that speaks HTTP to the REST API. Everything else calls these functions.
import type {
  CheckMessage, Execution, Flow, FlowGraph, LogEntry, Paged, ValidateResult, ErrorDetail,
} from "./models";
import { CURRENT } from "../lib/tenant";

/** The API of the page's tenant: `/api/v1/<tenant>`. */
export const API = `/api/v1/${encodeURIComponent(CURRENT.tenant)}`;

/** An API error: the server's `{message, details[]}` body, with the HTTP status. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly details: ErrorDetail[] = []) {
    super(message);
  }
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** The value of the readable cookie `name` (the session's CSRF token is one), if any. */
export function cookie(name: string): string | null {
  for (const part of document.cookie.split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return decodeURIComponent(value.join("="));
  }
  return null;
}

/** The sign-in page's address, coming back to the current page afterwards. */
export function loginUrl(next = window.location.pathname + window.location.search): string {
  return `/ui/login?next=${encodeURIComponent(next)}`;
}

/** `as`: how to read a successful body (an empty body gives undefined). */
export async function request<T>(path: string, init?: RequestInit, as: "json" | "blob" = "json"): Promise<T> {
  return requestAt(API + path, init, as);
}

/** As `request`, for a path outside the tenant's prefix (sign-in, one's own account). Every call says it comes
 * from the page (so a 401 brings no browser password prompt) and carries the session's CSRF token on unsafe
 * methods; a 401 sends the user to the sign-in page, unless `signingIn` (the sign-in call itself). */
export async function requestAt<T>(url: string, init?: RequestInit, as: "json" | "blob" = "json", signingIn = false):
  Promise<T> {
  const headers = new Headers(init?.headers);
  headers.set("X-Requested-With", "XMLHttpRequest");
  const csrf = cookie("legato_csrf");
  if (csrf && UNSAFE.has((init?.method ?? "GET").toUpperCase())) headers.set("X-CSRF-Token", csrf);
  const response = await fetch(url, { ...init, headers });
  if (response.status === 401 && !signingIn && !window.location.pathname.startsWith("/ui/login")) {
    window.location.assign(loginUrl());
  }
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    let details: ErrorDetail[] = [];
    try {
      const body = await response.json();
      if (typeof body?.message === "string") message = body.message;
      if (Array.isArray(body?.details)) details = body.details;
    } catch {
      // Not JSON: keep the status line.
    }
    throw new ApiError(response.status, message, details);
  }
  if (as === "blob") return (await response.blob()) as T; // an empty body (an empty file) is an empty blob
  if (response.status === 204 || response.headers.get("content-length") === "0") return undefined as T;
  return (await response.json()) as T;
}

const enc = encodeURIComponent;
const yaml = (source: string): RequestInit => ({
  body: source,
  headers: { "Content-Type": "application/x-yaml" },
});

export interface FlowSearch {
  q?: string;
  namespace?: string;
  page: number;
  size: number;
}

export function searchFlows({ q, namespace, page, size }: FlowSearch): Promise<Paged<Flow>> {
  const params = new URLSearchParams({ page: String(page), size: String(size), sort: "namespace:asc" });
  if (q) params.set("q", q);
  if (namespace) params.set("namespace", namespace);
  return request(`/flows/search?${params}`);
}

export const namespaces = (): Promise<string[]> => request("/flows/distinct-namespaces");

export const getFlow = (namespace: string, id: string): Promise<Flow> =>
  request(`/flows/${enc(namespace)}/${enc(id)}?source=true`);

export const flowGraph = (namespace: string, id: string): Promise<FlowGraph> =>
  request(`/flows/${enc(namespace)}/${enc(id)}/graph`);

export const createFlow = (source: string): Promise<Flow> => request("/flows", { method: "POST", ...yaml(source) });

export const updateFlow = (namespace: string, id: string, source: string): Promise<Flow> =>
  request(`/flows/${enc(namespace)}/${enc(id)}`, { method: "PUT", ...yaml(source) });

/** A flow named by namespace and id, as the bulk endpoints take them. */
export interface FlowRef {
  namespace: string;
  id: string;
}

const refs = (ids: FlowRef[]): RequestInit => ({ body: JSON.stringify(ids), headers: { "Content-Type": "application/json" } });

/** Delete flows, all or none (404 when one is missing); their executions are kept. */
export const deleteFlows = (ids: FlowRef[]): Promise<{ count: number }> =>
  request("/flows/delete/by-ids", { method: "DELETE", ...refs(ids) });

/** Disable (or enable) flows: a new revision whose source says `disabled: true|false`. */
export const setFlowsDisabled = (ids: FlowRef[], disabled: boolean): Promise<{ count: number }> =>
  request(`/flows/${disabled ? "disable" : "enable"}/by-ids`, { method: "POST", ...refs(ids) });

/** A zip of the flows' sources, `<namespace>.<id>.yml` each. */
export const exportFlows = (ids: FlowRef[]): Promise<Blob> =>
  request("/flows/export/by-ids", { method: "POST", ...refs(ids) }, "blob");

/** Import a YAML file (flows separated by `---`) or a zip of them; the names of the invalid documents. */
export function importFlows(file: File): Promise<string[]> {
  const form = new FormData();
  form.append("fileUpload", file);
  return request("/flows/import", { method: "POST", body: form });
}

/** Offer `blob` to the user as a download named `name`. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}

export const validateFlow = (source: string, signal?: AbortSignal): Promise<ValidateResult[]> =>
  request("/flows/validate", { method: "POST", signal, ...yaml(source) });

export function searchExecutions(namespace: string, flowId: string, page: number, size: number):
  Promise<Paged<Execution>> {
  const params = new URLSearchParams({ namespace, flowId, page: String(page), size: String(size) });
  return request(`/executions/search?${params}`);
}

export const getExecution = (id: string): Promise<Execution> => request(`/executions/${enc(id)}`);

export const createExecution = (namespace: string, flowId: string, inputs: FormData): Promise<Execution> =>
  request(`/executions/${enc(namespace)}/${enc(flowId)}`, { method: "POST", body: inputs });

/** The flow's checks that fail for these inputs: those that let the execution start, or (ApiError 422) those
 * that block it. */
export const validateInputs = (namespace: string, flowId: string, inputs: FormData, signal?: AbortSignal):
  Promise<{ checks: CheckMessage[] }> =>
  request(`/executions/${enc(namespace)}/${enc(flowId)}/validate`, { method: "POST", body: inputs, signal });

export const killExecution = (id: string): Promise<Execution> =>
  request(`/executions/${enc(id)}/kill`, { method: "DELETE" });

export const restartExecution = (id: string): Promise<Execution> =>
  request(`/executions/${enc(id)}/restart`, { method: "POST" });

export const resumeExecution = (id: string, inputs: FormData): Promise<void> =>
  request(`/executions/${enc(id)}/resume`, { method: "POST", body: inputs });

export const executionLogs = (id: string): Promise<LogEntry[]> => request(`/logs/${enc(id)}`);

/** URL of the Server-Sent Events stream of an execution's snapshots. */
export const followUrl = (id: string): string => `${API}/executions/${enc(id)}/follow`;
