// The Gantt chart's geometry: task runs and their attempts placed on one time axis, with readable ticks.
import type { TaskRun } from "../api/models";

export interface Span {
  /** Fractions of the axis width, 0..1. */
  left: number;
  width: number;
  state: string;
  start: number;
  end: number;
  /** The runner of a script task's attempt (process, sandbox, docker...), when the worker reported it. */
  runner?: string;
}

export interface GanttRow {
  id: string;
  label: string;
  depth: number;
  run: Span;
  attempts: Span[];
  /** The runner of the last attempt: where the task's command really ran. */
  runner?: string;
}

export interface Tick {
  at: number;
  label: string;
}

export interface Gantt {
  start: number;
  end: number;
  rows: GanttRow[];
  ticks: Tick[];
}

interface AttemptJson {
  state?: { current?: string; startDate?: string | null; endDate?: string | null };
  runner?: string;
}

const STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000,
  600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000];

/** A tick step giving at most `max` ticks over `span` ms. */
export function tickStep(span: number, max = 8): number {
  return STEPS.find((s) => span / s <= max) ?? Math.ceil(span / max / 86_400_000) * 86_400_000;
}

export function formatOffset(ms: number): string {
  if (ms === 0) return "0";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min${ms % 60_000 ? ` ${Math.round((ms % 60_000) / 1000)} s` : ""}`;
  return `${+(ms / 3_600_000).toFixed(1)} h`;
}

const time = (iso: string | null | undefined): number | null => {
  if (!iso) return null;
  const t = new Date(iso).getTime();
  return Number.isNaN(t) ? null : t;
};

const ENDED = new Set(["SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "RETRIED", "SKIPPED"]);

/** Rows in tree order (children under their parent), every time relative to the earliest start; `now` ends
 * what is still running. Spans are at least a sliver wide so that instant tasks stay visible. */
export function buildGantt(runs: TaskRun[], executionStart: string | null | undefined, now: number): Gantt {
  const starts = runs.map((r) => time(r.state.startDate)).filter((t): t is number => t !== null);
  const start = Math.min(time(executionStart) ?? Infinity, ...starts);
  if (!Number.isFinite(start)) return { start: now, end: now, rows: [], ticks: [] };
  const endOf = (state: string, end: string | null | undefined) => (ENDED.has(state) ? time(end) ?? now : now);
  const ends = runs.map((r) => endOf(r.state.current, r.state.endDate));
  const end = Math.max(start + 1, ...ends);
  const span = end - start;
  const place = (from: number, to: number, state: string): Span => ({
    left: (from - start) / span,
    width: Math.max((to - from) / span, 0.004),
    state, start: from, end: to,
  });

  const children = new Map<string | null, TaskRun[]>();
  const ids = new Set(runs.map((r) => r.id));
  for (const run of runs) {
    const parent = run.parentTaskRunId && ids.has(run.parentTaskRunId) ? run.parentTaskRunId : null;
    children.set(parent, [...(children.get(parent) ?? []), run]);
  }
  const rows: GanttRow[] = [];
  const visit = (parent: string | null, depth: number) => {
    for (const run of children.get(parent) ?? []) {
      const from = time(run.state.startDate) ?? start;
      const to = endOf(run.state.current, run.state.endDate);
      const attempts = (run.attempts as AttemptJson[]).map((a) => {
        const state = a.state?.current ?? run.state.current;
        const aFrom = time(a.state?.startDate) ?? from;
        const span = place(aFrom, ENDED.has(state) ? time(a.state?.endDate) ?? to : now, state);
        return a.runner ? { ...span, runner: a.runner } : span;
      });
      const runner = attempts.at(-1)?.runner;
      rows.push({ id: run.id, label: run.value != null ? `${run.taskId} [${run.value}]` : run.taskId, depth, run: place(from, to, run.state.current), attempts, ...(runner ? { runner } : {}) });
      visit(run.id, depth + 1);
    }
  };
  visit(null, 0);

  const step = tickStep(span);
  const ticks: Tick[] = [];
  for (let at = 0; at <= span; at += step) ticks.push({ at: at / span, label: formatOffset(at) });
  return { start, end, rows, ticks };
}
