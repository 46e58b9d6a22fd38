// The REST API calls of the operator's pages (dashboard, executions, namespaces, blueprints, plugins).
// Everything goes through client.ts's `request`, so errors have one shape.
import { API, request } from "./client";
import type { Execution, LogEntry, Paged } from "./models";
import type { components } from "./types";

type Schemas = components["schemas"];

const enc = encodeURIComponent;
const json = (body: unknown): RequestInit => ({ body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });

// ---- stats ----------------------------------------------------------------------------------------------------

export type DailyStats = Schemas["DailyStats"];

/** Counts per day of the browser's time zone: the same days as the executions list's date filters. */
export const dailyStats = (days: number, namespace?: string): Promise<DailyStats[]> => {
  const start = new Date();
  start.setDate(start.getDate() - (days - 1));
  start.setHours(0, 0, 0, 0);
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return request("/stats/executions/daily", {
    method: "POST", ...json({ startDate: start.toISOString(), namespace: namespace || null, timeZone }),
  });
};

// ---- executions -----------------------------------------------------------------------------------------------

export interface ExecutionQuery {
  namespace?: string;
  flowId?: string;
  states?: string[];
  labels?: string[];
  startDate?: string;
  endDate?: string;
  page: number;
  size: number;
  sort?: string;
}

export function executionSearchParams(query: ExecutionQuery): URLSearchParams {
  const params = new URLSearchParams({ page: String(query.page), size: String(query.size) });
  if (query.namespace) params.set("namespace", query.namespace);
  if (query.flowId) params.set("flowId", query.flowId);
  for (const state of query.states ?? []) params.append("state", state);
  for (const label of query.labels ?? []) params.append("labels", label);
  if (query.startDate) params.set("startDate", query.startDate);
  if (query.endDate) params.set("endDate", query.endDate);
  if (query.sort) params.set("sort", query.sort);
  return params;
}

export const findExecutions = (query: ExecutionQuery): Promise<Paged<Execution>> =>
  request(`/executions/search?${executionSearchParams(query)}`);

export type BulkResult = Schemas["BulkResult"];

export const bulkKill = (ids: string[]): Promise<BulkResult> => request("/executions/kill/by-ids", { method: "DELETE", ...json(ids) });
export const bulkPause = (ids: string[]): Promise<BulkResult> => request("/executions/pause/by-ids", { method: "POST", ...json(ids) });
export const pauseExecution = (id: string): Promise<void> => request(`/executions/${enc(id)}/pause`, { method: "POST" });
export const bulkRestart = (ids: string[]): Promise<BulkResult> => request("/executions/restart/by-ids", { method: "POST", ...json(ids) });
export const bulkDelete = (ids: string[]): Promise<BulkResult> => request("/executions/by-ids", { method: "DELETE", ...json(ids) });

export const replayExecution = (id: string, taskRunId?: string): Promise<Execution> =>
  request(`/executions/${enc(id)}/replay${taskRunId ? `?taskRunId=${enc(taskRunId)}` : ""}`, { method: "POST" });

export const setExecutionLabels = (id: string, labels: { key: string; value: string }[]): Promise<Execution> =>
  request(`/executions/${enc(id)}/labels`, { method: "POST", ...json(labels) });

export const changeTaskRunState = (id: string, taskRunId: string, state: string): Promise<Execution> =>
  request(`/executions/${enc(id)}/state`, { method: "POST", ...json({ taskRunId, state }) });

// ---- logs -----------------------------------------------------------------------------------------------------

export interface LogQuery {
  minLevel?: string;
  taskRunId?: string;
  attempt?: number;
}

function logParams(query: LogQuery): string {
  const params = new URLSearchParams();
  if (query.minLevel) params.set("minLevel", query.minLevel);
  if (query.taskRunId) params.set("taskRunId", query.taskRunId);
  if (query.attempt !== undefined) params.set("attempt", String(query.attempt));
  const text = params.toString();
  return text ? `?${text}` : "";
}

export const filteredLogs = (id: string, query: LogQuery): Promise<LogEntry[]> => request(`/logs/${enc(id)}${logParams(query)}`);
export const logsDownloadUrl = (id: string, query: LogQuery): string => `${API}/logs/${enc(id)}/download${logParams(query)}`;
export const logsFollowUrl = (id: string, query: LogQuery): string => `${API}/logs/${enc(id)}/follow${logParams(query)}`;

// ---- execution files and expressions --------------------------------------------------------------------------

export type FilePreview = Schemas["FilePreview"];

export const filePreview = (id: string, uri: string, maxRows = 100): Promise<FilePreview> =>
  request(`/executions/${enc(id)}/file/preview?path=${enc(uri)}&maxRows=${maxRows}`);
export const fileDownloadUrl = (id: string, uri: string): string => `${API}/executions/${enc(id)}/file?path=${enc(uri)}`;

export const evaluate = (id: string, taskRunId: string, expression: string): Promise<Schemas["EvalResult"]> =>
  request(`/executions/${enc(id)}/eval/${enc(taskRunId)}`, { method: "POST", body: expression, headers: { "Content-Type": "text/plain" } });

// ---- namespaces: KV store and files ---------------------------------------------------------------------------

export const KV_TYPES = ["STRING", "NUMBER", "BOOLEAN", "DATETIME", "DATE", "DURATION", "JSON"] as const;
export type KVType = (typeof KV_TYPES)[number];

export interface KVEntry {
  key: string;
  type: KVType;
  updateDate: string;
  expirationDate: string | null;
}

const kvPath = (namespace: string) => `/namespaces/${enc(namespace)}/kv`;
export const kvList = (namespace: string): Promise<KVEntry[]> => request(kvPath(namespace));
export const kvGet = (namespace: string, key: string): Promise<{ type: KVType; value: unknown }> =>
  request(`${kvPath(namespace)}/${enc(key)}`);
export const kvDelete = (namespace: string, key: string): Promise<void> => request(`${kvPath(namespace)}/${enc(key)}`, { method: "DELETE" });

/** Store `text` as `type` (the server parses it); `ttl` is an ISO-8601 duration such as PT1H, or empty. */
export const kvPut = (namespace: string, key: string, type: KVType, text: string, ttl: string): Promise<void> =>
  request(`${kvPath(namespace)}/${enc(key)}?type=${type}`, {
    method: "PUT", body: text, headers: { "Content-Type": "text/plain", ...(ttl ? { ttl } : {}) },
  });

export type NamespaceSummary = Schemas["NamespaceSummary"];

/** The namespaces the user may see, each parent right before its children, with what each holds itself; paged. */
export const namespaceTree = (page: number, size: number): Promise<Paged<NamespaceSummary>> =>
  request(`/namespaces/search?page=${page}&size=${size}`);

export type NamespaceFile = Schemas["NamespaceFileEntry"];

export const namespaceDirectory = (namespace: string, path: string): Promise<NamespaceFile[]> =>
  request(`/namespaces/${enc(namespace)}/files/directory?path=${enc(path)}`);
export const namespaceFileUrl = (namespace: string, path: string): string =>
  `${API}/namespaces/${enc(namespace)}/files?path=${enc(path)}`;

const filesPath = (namespace: string) => `/namespaces/${enc(namespace)}/files`;

/** Store `file` at `path` (parent folders made), replacing a file there. */
export function uploadNamespaceFile(namespace: string, path: string, file: Blob): Promise<void> {
  const form = new FormData();
  form.append("fileContent", file, path.split("/").pop() ?? "file");
  return request(`${filesPath(namespace)}?path=${enc(path)}`, { method: "POST", body: form });
}

export const createNamespaceFolder = (namespace: string, path: string): Promise<void> =>
  request(`${filesPath(namespace)}/directory?path=${enc(path)}`, { method: "POST" });

/** Rename or move a file or folder (409 when something is at `to`). */
export const moveNamespaceFile = (namespace: string, from: string, to: string): Promise<void> =>
  request(`${filesPath(namespace)}?from=${enc(from)}&to=${enc(to)}`, { method: "PUT" });

/** Delete a file, or a folder with everything in it. */
export const deleteNamespaceFile = (namespace: string, path: string): Promise<void> =>
  request(`${filesPath(namespace)}?path=${enc(path)}`, { method: "DELETE" });

// ---- blueprints -----------------------------------------------------------------------------------------------

export type Blueprint = Schemas["BlueprintDto"];

export function searchBlueprints(q: string, tags: string[]): Promise<Paged<Blueprint>> {
  const params = new URLSearchParams({ size: "1000" });
  if (q) params.set("q", q);
  for (const tag of tags) params.append("tags", tag);
  return request(`/blueprints/community?${params}`);
}

export const blueprintTags = (): Promise<Schemas["BlueprintTag"][]> => request("/blueprints/community/tags");
export const getBlueprint = (id: string): Promise<Blueprint> => request(`/blueprints/community/${enc(id)}`);

// ---- plugins --------------------------------------------------------------------------------------------------

export type PluginSummary = Schemas["PluginSummary"];

/** A type's docs; its JSON Schema typed as far as the docs page reads it. */
export interface PluginDoc extends PluginSummary {
  markdown: string;
  examples: string[];
  schema: { properties?: Record<string, { description?: string; type?: string | string[]; default?: unknown; anyOf?: unknown[] }>; required?: string[] };
}

export const listPlugins = (): Promise<PluginSummary[]> => request("/plugins");
export const pluginDoc = (cls: string): Promise<PluginDoc> => request(`/plugins/${enc(cls)}`);

// ---- triggers -------------------------------------------------------------------------------------------------

export interface Backfill {
  start: string;
  end: string;
  currentDate: string;
  paused: boolean;
  fired: number;
  executionId: string | null;
}

export interface TriggerContext {
  namespace: string;
  flowId: string;
  triggerId: string;
  type: string | null;
  date: string | null;
  nextExecutionDate: string | null;
  executionId: string | null;
  disabled: boolean;
  /** The latest failure to evaluate the trigger (cleared once it works again). */
  error?: string | null;
  errorDate?: string | null;
  disabledInSource?: boolean;
  backfill: Backfill | null;
  /** A Schedule's next three fire times (none while it is disabled). */
  nextDates?: string[];
}

export type TriggerKey = Pick<TriggerContext, "namespace" | "flowId" | "triggerId">;

export const flowTriggers = (namespace: string, flowId: string): Promise<Paged<TriggerContext>> =>
  request(`/triggers/${enc(namespace)}/${enc(flowId)}?size=1000`);
export const setTriggerDisabled = (key: TriggerKey, disabled: boolean): Promise<TriggerContext> =>
  request("/triggers", { method: "PUT", ...json({ ...key, disabled }) });
export const unlockTrigger = (key: TriggerKey): Promise<TriggerContext> =>
  request(`/triggers/${enc(key.namespace)}/${enc(key.flowId)}/${enc(key.triggerId)}/unlock`, { method: "POST" });
export const restartTrigger = (key: TriggerKey): Promise<TriggerContext> =>
  request(`/triggers/${enc(key.namespace)}/${enc(key.flowId)}/${enc(key.triggerId)}/restart`, { method: "POST" });

/** A trigger with its definition as the flow declares it (the global Triggers page). */
export interface TriggerWithDefinition {
  abstractTrigger: Record<string, unknown> | null;
  triggerContext: TriggerContext;
}

export interface TriggerSearch {
  q?: string;
  namespace?: string;
  /** `field:asc|desc`: namespace, flowId, triggerId, nextExecutionDate or date. */
  sort?: string;
  page: number;
  size: number;
}

export function searchTriggers(search: TriggerSearch): Promise<Paged<TriggerWithDefinition>> {
  const params = new URLSearchParams({ page: String(search.page), size: String(search.size) });
  if (search.q) params.set("q", search.q);
  if (search.namespace) params.set("namespace", search.namespace);
  if (search.sort) params.set("sort", search.sort);
  return request(`/triggers/search?${params}`);
}
export const setTriggersDisabled = (triggers: TriggerKey[], disabled: boolean): Promise<{ count: number }> =>
  request("/triggers/set-disabled/by-triggers", { method: "POST", ...json({ triggers, disabled }) });

export interface BackfillRequest {
  start: string;
  end?: string;
  inputs?: Record<string, unknown>;
  labels?: Record<string, string>;
}

export const startBackfill = (key: TriggerKey, backfill: BackfillRequest): Promise<TriggerContext> =>
  request("/triggers", { method: "PUT", ...json({ ...key, backfill }) });
export const backfillAction = (key: TriggerKey, action: "pause" | "unpause" | "delete"): Promise<TriggerContext> =>
  request(`/triggers/backfill/${action}`, { method: action === "delete" ? "POST" : "PUT", ...json(key) });

export interface LogSearch {
  namespace: string;
  flowId: string;
  q?: string;
  minLevel?: string;
  page: number;
  size: number;
}

export function searchLogs(search: LogSearch): Promise<Paged<LogEntry>> {
  const params = new URLSearchParams({ namespace: search.namespace, flowId: search.flowId, page: String(search.page), size: String(search.size) });
  if (search.q) params.set("q", search.q);
  if (search.minLevel) params.set("minLevel", search.minLevel);
  return request(`/logs/search?${params}`);
}

// ---- execution metrics ------------------------------------------------------------------------------------------

export type MetricEntry = Schemas["MetricEntry"];

/** Every counter and timer the execution's task runs reported (timers in milliseconds, as Kestra). */
export const executionMetrics = (executionId: string): Promise<Paged<MetricEntry>> =>
  request(`/metrics/${enc(executionId)}?size=1000`);

// ---- a namespace's own settings ---------------------------------------------------------------------------------

export type NamespaceSettings = Schemas["NamespaceDto"];
export type PluginDefault = Schemas["PluginDefaultDto-Output"];

const nsPath = (namespace: string) => `/namespaces/${enc(namespace)}`;
export const getNamespace = (namespace: string): Promise<NamespaceSettings> => request(nsPath(namespace));
export const putNamespace = (namespace: string, body: Schemas["NamespaceWrite"]): Promise<NamespaceSettings> =>
  request(nsPath(namespace), { method: "PUT", ...json(body) });
export const inheritedVariables = (namespace: string): Promise<Record<string, unknown>> =>
  request(`${nsPath(namespace)}/inherited-variables`);
export const inheritedPluginDefaults = (namespace: string): Promise<PluginDefault[]> =>
  request(`${nsPath(namespace)}/inherited-plugindefaults`);
