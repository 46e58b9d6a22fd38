// The REST API calls of assets: what flows read and write, with their lineage and the executions that used them.
import { request } from "./client";
import type { Paged } from "./models";
import type { components } from "./types";

const enc = encodeURIComponent;

export type Asset = components["schemas"]["AssetDto"];
export type AssetDetail = components["schemas"]["AssetDetailDto"];
export type AssetUsage = components["schemas"]["AssetUsageDto"];
export type AssetBody = components["schemas"]["AssetBody"];

export interface AssetFilters { q?: string; namespace?: string; type?: string }

export function searchAssets(filters: AssetFilters, page: number, size: number): Promise<Paged<Asset>> {
  const params = new URLSearchParams({ page: String(page), size: String(size) });
  for (const [name, value] of Object.entries(filters)) if (value) params.set(name, value);
  return request(`/assets/search?${params}`);
}

export const getAsset = (id: string): Promise<AssetDetail> => request(`/assets/${enc(id)}`);
export type ExecutionAsset = components["schemas"]["ExecutionAssetDto"];
/** What an execution's task runs read and wrote. */
export const executionAssets = (executionId: string): Promise<ExecutionAsset[]> => request(`/executions/${enc(executionId)}/assets`);

const json = (method: string, body: AssetBody): RequestInit => ({
  method, body: JSON.stringify(body), headers: { "Content-Type": "application/json" },
});

export const createAsset = (body: AssetBody): Promise<Asset> => request("/assets", json("POST", body));
export const updateAsset = (id: string, body: AssetBody): Promise<Asset> => request(`/assets/${enc(id)}`, json("PUT", body));
export const deleteAsset = (id: string): Promise<void> => request(`/assets/${enc(id)}`, { method: "DELETE" });

/** An asset type as people read it: Kestra's `io.kestra.plugin.ee.assets.Table` is "Table". */
export function typeLabel(type: string | null | undefined): string {
  if (!type) return "";
  return type.startsWith("io.kestra.plugin.ee.assets.") ? type.slice("io.kestra.plugin.ee.assets.".length) : type;
}

/** The executions that used an asset, each once, newest first, with what each of its task runs did. */
export function executionsOf(usages: AssetUsage[]): { executionId: string; namespace: string; flowId: string; created: string; uses: AssetUsage[] }[] {
  const byExecution = new Map<string, { executionId: string; namespace: string; flowId: string; created: string; uses: AssetUsage[] }>();
  for (const u of usages) {
    const seen = byExecution.get(u.executionId);
    if (seen) seen.uses.push(u);
    else byExecution.set(u.executionId, { executionId: u.executionId, namespace: u.namespace, flowId: u.flowId, created: u.created, uses: [u] });
  }
  return [...byExecution.values()];
}
