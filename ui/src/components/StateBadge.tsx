import { formatInstant, readSettings } from "../lib/settings";

/** An execution or task run state, coloured by what it means. */
export function StateBadge({ state }: { state: string }) {
  return <span className={`state state-${state.toLowerCase()}`} data-state={state}>{state}</span>;
}

/** An instant in the date format chosen in Settings. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "—";
  return formatInstant(iso, readSettings().dateFormat);
}

export function duration(start: string | null | undefined, end: string | null | undefined): string {
  if (!start) return "—";
  const ms = (end ? new Date(end) : new Date()).getTime() - new Date(start).getTime();
  if (!Number.isFinite(ms) || ms < 0) return "—";
  return ms < 1000 ? `${ms} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
