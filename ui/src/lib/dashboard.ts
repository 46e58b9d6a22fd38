// Dashboard arithmetic over the daily stats: stacked bars by state and the success ratio.
import type { DailyStats } from "../api/operations";

/** Bar segments from the bottom up; other states are counted as OTHER. */
export const STACK_STATES = ["SUCCESS", "WARNING", "FAILED", "KILLED", "RUNNING", "OTHER"];

export interface DayBar {
  day: string;
  total: number;
  segments: { state: string; count: number; offset: number }[];
}

export function stackDays(stats: DailyStats[]): { bars: DayBar[]; max: number } {
  const bars = stats.map((day) => {
    const counts: Record<string, number> = {};
    for (const [state, n] of Object.entries(day.executionCounts)) {
      const key = STACK_STATES.includes(state) ? state : "OTHER";
      counts[key] = (counts[key] ?? 0) + n;
    }
    let offset = 0;
    const segments = STACK_STATES.filter((s) => counts[s]).map((state) => {
      const segment = { state, count: counts[state]!, offset };
      offset += segment.count;
      return segment;
    });
    return { day: day.startDate, total: offset, segments };
  });
  return { bars, max: Math.max(1, ...bars.map((b) => b.total)) };
}

/** Ended executions only: the ratio of SUCCESS (and WARNING) among them, null when none ended. */
export function successRatio(stats: DailyStats[]) {
  let total = 0, success = 0, failed = 0;
  for (const day of stats) {
    for (const [state, n] of Object.entries(day.executionCounts)) {
      total += n;
      if (state === "SUCCESS" || state === "WARNING") success += n;
      if (state === "FAILED" || state === "KILLED") failed += n;
    }
  }
  const ended = success + failed;
  return { total, success, failed, ratio: ended ? success / ended : null };
}
