// The executions list's filters, kept in the URL so that every filtered view is a shareable link.
import type { ExecutionQuery } from "../api/operations";

export const PAGE_SIZES = [10, 25, 50, 100];
export const DEFAULT_SIZE = 25;
export const STATES = ["CREATED", "QUEUED", "RUNNING", "PAUSED", "RESTARTED", "KILLING", "SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "RETRYING", "RETRIED", "SKIPPED"];

/** Server-side orders (the API's `sort`); the first is the default. */
export const SORTS: Record<string, string> = {
  "startDate:desc": "Newest first",
  "startDate:asc": "Oldest first",
  "endDate:desc": "Ended last first",
  "state:asc": "By state",
  "flowId:asc": "By flow",
};
const DEFAULT_SORT = "startDate:desc";

export interface ExecutionFilters {
  namespace: string;
  flowId: string;
  states: string[];
  labels: string[];
  /** YYYY-MM-DD (local day), inclusive. */
  from: string;
  to: string;
  page: number;
  size: number;
  sort: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const LABEL = /^[^:\s][^:]*:.+$/;

export function filtersFromParams(params: URLSearchParams): ExecutionFilters {
  const page = Number(params.get("page"));
  const size = Number(params.get("size"));
  const day = (key: string) => {
    const value = params.get(key) ?? "";
    return DAY.test(value) ? value : "";
  };
  return {
    namespace: params.get("namespace") ?? "",
    flowId: params.get("flowId") ?? "",
    states: params.getAll("state").filter((s) => STATES.includes(s)),
    labels: params.getAll("label").filter((l) => LABEL.test(l)),
    from: day("from"),
    to: day("to"),
    page: Number.isInteger(page) && page > 1 ? page : 1,
    size: PAGE_SIZES.includes(size) ? size : DEFAULT_SIZE,
    sort: Object.hasOwn(SORTS, params.get("sort") ?? "") ? params.get("sort")! : DEFAULT_SORT,
  };
}

/** The URL's query for `filters`: defaults are left out, so that links stay short. */
export function filtersToParams(filters: ExecutionFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.namespace) params.set("namespace", filters.namespace);
  if (filters.flowId) params.set("flowId", filters.flowId);
  for (const state of filters.states) params.append("state", state);
  for (const label of filters.labels) params.append("label", label);
  if (filters.from) params.set("from", filters.from);
  if (filters.to) params.set("to", filters.to);
  if (filters.page > 1) params.set("page", String(filters.page));
  if (filters.size !== DEFAULT_SIZE) params.set("size", String(filters.size));
  if (filters.sort !== DEFAULT_SORT) params.set("sort", filters.sort);
  return params;
}

/** "a:b, c:d" typed by the user into labels, keeping only well-formed ones. */
export function parseLabels(text: string): string[] {
  return text.split(/[,\n]/).map((l) => l.trim()).filter((l) => LABEL.test(l));
}

/** The API query for `filters`: local days become instants (start of `from`, end of `to`). */
export function toQuery(filters: ExecutionFilters): ExecutionQuery {
  const instant = (day: string, end: boolean) => {
    if (!day) return undefined;
    const [y, m, d] = day.split("-").map(Number) as [number, number, number];
    return new Date(y, m - 1, end ? d + 1 : d, 0, 0, end ? -1 : 0).toISOString();
  };
  return {
    namespace: filters.namespace || undefined,
    flowId: filters.namespace && filters.flowId ? filters.flowId : undefined,
    states: filters.states,
    labels: filters.labels,
    startDate: instant(filters.from, false),
    endDate: instant(filters.to, true),
    page: filters.page,
    size: filters.size,
    sort: filters.sort,
  };
}
