// REST calls of the flow editor: schema, plugin docs, live graph, revisions, namespace files.
// They go through api/client.ts's `request`, the one place that speaks HTTP.
import { request, updateFlow } from "../api/client";
import type { Flow, FlowGraph } from "../api/models";

const enc = encodeURIComponent;
const yamlBody = (source: string, signal?: AbortSignal): RequestInit => ({
  method: "POST", body: source, signal, headers: { "Content-Type": "application/x-yaml" },
});

/** A JSON Schema object, as far as the editor reads it. */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  $ref?: string;
  format?: string;
  [key: string]: unknown;
}

export interface PluginDoc {
  cls: string;
  aliases: string[];
  kind: string;
  title: string;
  flowable: boolean;
  markdown: string;
  examples: string[];
  schema: JsonSchema;
}

export const flowSchema = (): Promise<JsonSchema> => request("/plugins/schemas/flow");

export const pluginDoc = (type: string): Promise<PluginDoc> => request(`/plugins/${enc(type)}`);

/** Topology of an unsaved source (422 with located problems when it is invalid). */
export const sourceGraph = (source: string, signal?: AbortSignal): Promise<FlowGraph> =>
  request("/flows/graph", yamlBody(source, signal));

/** Every revision of a flow, oldest first, with its source. */
export const flowRevisions = (namespace: string, id: string): Promise<Flow[]> =>
  request(`/flows/${enc(namespace)}/${enc(id)}/revisions`);

/** Restoring a revision saves its source as a new revision (an unchanged source keeps the revision). */
export const restoreRevision = (namespace: string, id: string, source: string): Promise<Flow> =>
  updateFlow(namespace, id, source);

export interface FileEntry {
  fileName: string;
  type: "File" | "Directory";
  size: number;
  lastModifiedTime: string | null;
}

const files = (namespace: string) => `/namespaces/${enc(namespace)}/files`;

export const listFiles = (namespace: string, path: string): Promise<FileEntry[]> =>
  request(`${files(namespace)}/directory?path=${enc(path)}`);

export async function readFile(namespace: string, path: string): Promise<string> {
  const blob = await request<Blob>(`${files(namespace)}?path=${enc(path)}`, undefined, "blob");
  return blob.text();
}

export function writeFile(namespace: string, path: string, content: string): Promise<void> {
  const form = new FormData();
  form.append("fileContent", new Blob([content], { type: "application/octet-stream" }), path.split("/").pop() ?? "file");
  return request(`${files(namespace)}?path=${enc(path)}`, { method: "POST", body: form });
}

export const deleteFile = (namespace: string, path: string): Promise<void> =>
  request(`${files(namespace)}?path=${enc(path)}`, { method: "DELETE" });
