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

/** Time range presets: how far back from now executions started (ISO 8601 durations in the URL). */
export const RANGES: Record<string, { label: string; ms: number }> = {
  PT1H: { label: "Last hour", ms: 3_600_000 },
  P1D: { label: "Last 24 hours", ms: 86_400_000 },
  P7D: { label: "Last 7 days", ms: 7 * 86_400_000 },
  P30D: { label: "Last 30 days", ms: 30 * 86_400_000 },
};

export interface ExecutionFilters {
  namespace: string;
  flowId: string;
  states: string[];
  labels: string[];
  /** YYYY-MM-DD (local day), inclusive. */
  from: string;
  to: string;
  /** A key of RANGES (it wins over from/to), or "". */
  range: string;
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
    range: Object.hasOwn(RANGES, params.get("range") ?? "") ? params.get("range")! : "",
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
  if (filters.range) params.set("range", filters.range);
  if (filters.page > 1) params.set("page", String(filters.page));
  if (filters.size !== DEFAULT_SIZE) params.set("size", String(filters.size));
  if (filters.sort !== DEFAULT_SORT) params.set("sort", filters.sort);
  return params;
}

/** "a:b, c:d" typed by the user into labels, keeping only well-formed ones. */
export function parseLabels(text: string): string[] {
  return text.split(/[,\n]/).map((l) => l.trim()).filter((l) => LABEL.test(l));
}

/** The API query for `filters`: local days become instants (start of `from`, end of `to`); a range preset
 * counts back from `now`. */
export function toQuery(filters: ExecutionFilters, now = Date.now()): ExecutionQuery {
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
    startDate: filters.range ? new Date(now - RANGES[filters.range]!.ms).toISOString() : instant(filters.from, false),
    endDate: filters.range ? undefined : instant(filters.to, true),
    page: filters.page,
    size: filters.size,
    sort: filters.sort,
  };
}

export interface Chip {
  /** What the chip filters on, as shown ("State"), and its value ("FAILED"). */
  label: string;
  value: string;
  /** The filters without this chip's condition. */
  without: Partial<ExecutionFilters>;
}

/** One chip per active condition, each knowing how to remove itself (a namespace takes its flow along). */
export function chipsOf(filters: ExecutionFilters): Chip[] {
  const chips: Chip[] = [];
  if (filters.namespace) chips.push({ label: "Namespace", value: filters.namespace, without: { namespace: "", flowId: "" } });
  if (filters.namespace && filters.flowId) chips.push({ label: "Flow", value: filters.flowId, without: { flowId: "" } });
  for (const state of filters.states) {
    chips.push({ label: "State", value: state, without: { states: filters.states.filter((s) => s !== state) } });
  }
  for (const label of filters.labels) {
    chips.push({ label: "Label", value: label, without: { labels: filters.labels.filter((l) => l !== label) } });
  }
  if (filters.range) chips.push({ label: "Started", value: RANGES[filters.range]!.label.toLowerCase(), without: { range: "" } });
  if (filters.from) chips.push({ label: "From", value: filters.from, without: { from: "" } });
  if (filters.to) chips.push({ label: "To", value: filters.to, without: { to: "" } });
  return chips;
}
