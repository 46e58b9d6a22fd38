import { formatInstant, useSettings } from "../lib/settings";

/** An instant in the user's chosen date format, with the exact time on hover. */
export function When({ iso }: { iso: string | null | undefined }) {
  const { dateFormat, timeZone } = useSettings();
  if (!iso) return <span className="muted">—</span>;
  return <time dateTime={iso} title={iso}>{formatInstant(iso, dateFormat, Date.now(), timeZone)}</time>;
}
