// Pure helpers of the app pages: which form a button submits, how values and files are shown, when a page follows
// its execution, where RedirectTo sends, and the rows of a Chart block.
import type { FlowInput } from "../api/models";
import type { Block } from "../api/apps";

export const STAGES = ["OPEN", "CREATED", "RUNNING", "PAUSE", "RESUME", "SUCCESS", "FAILURE", "ERROR", "FALLBACK"] as const;

/** What the stage means to a visitor, for the page's status line. */
export const STAGE_TEXT: Record<string, string> = {
  OPEN: "Fill in the form", CREATED: "Submitted", RUNNING: "Running", PAUSE: "Waiting for approval",
  RESUME: "Running again", SUCCESS: "Done", FAILURE: "Failed", ERROR: "Unavailable", FALLBACK: "",
};

/** The input declarations of the stage's form: CreateExecutionForm's on OPEN, ResumeExecutionForm's on PAUSE. */
export function formInputs(blocks: Block[], form: "CreateExecutionForm" | "ResumeExecutionForm"): FlowInput[] | null {
  const block = blocks.find((b) => b.type === form);
  return block ? ((block.inputs as FlowInput[] | undefined) ?? []) : null;
}

/** Whether the page keeps following its execution: one exists and has not ended. */
export const following = (view: { execution: unknown; ended: boolean } | undefined): boolean =>
  !!view && view.execution !== null && !view.ended;

export const FILE_SCHEME = "kestra:///";

/** The name a file URI downloads as: its last path segment. */
export function fileName(uri: string): string {
  const last = uri.split("/").pop() ?? uri;
  try {
    return decodeURIComponent(last) || uri;
  } catch {
    return last || uri;
  }
}

/** A value as a visitor reads it: text as is, numbers and booleans as text, maps and lists as indented JSON,
 * nothing (an optional output left empty) as a dash. */
export function shown(value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value, null, 2);
}

/** A RedirectTo's target when it is safe to follow: http(s) or a path of this site; null otherwise. */
export function redirectTarget(url: unknown): string | null {
  if (typeof url !== "string" || !url) return null;
  if (url.startsWith("/") && !url.startsWith("//")) return url;
  return /^https?:\/\//i.test(url) ? url : null;
}

/** A Chart block's rows as (label, value) pairs, non-numbers counted as 0. */
export function chartPoints(rows: unknown, x: string, y: string): { label: string; value: number }[] {
  if (!Array.isArray(rows)) return [];
  return rows.filter((r): r is Record<string, unknown> => typeof r === "object" && r !== null).map((r) => {
    const value = Number(r[y]);
    return { label: shown(r[x]), value: Number.isFinite(value) ? value : 0 };
  });
}

/** The app page's address inside its tenant's UI (the router's path) for the execution it follows (none: the form
 * again). */
export function appRoute(appId: string, executionId: string | null): string {
  const base = `/apps/${encodeURIComponent(appId)}`;
  return executionId ? `${base}?execution=${encodeURIComponent(executionId)}` : base;
}

/** The app page's full address, always naming its tenant as Kestra's do (`/ui/<tenant>/apps/<id>`), to share. */
export const pagePath = (tenant: string, appId: string, executionId: string | null): string =>
  `/ui/${encodeURIComponent(tenant)}${appRoute(appId, executionId)}`;

/** Whether a router path (inside a tenant-named address) is an app's page, shown without the rest of the UI around
 * it; `/apps/new` is the editor's. */
export const isAppPage = (pathname: string): boolean => /^\/apps\/[^/]+\/?$/.test(pathname) && !/^\/apps\/new\/?$/.test(pathname);
