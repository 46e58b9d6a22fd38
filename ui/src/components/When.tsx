import { formatInstant, useSettings } from "../lib/settings";

/** An instant in the user's chosen date format, with the exact time on hover. */
export function When({ iso }: { iso: string | null | undefined }) {
  const { dateFormat } = useSettings();
  if (!iso) return <span className="muted">—</span>;
  return <time dateTime={iso} title={iso}>{formatInstant(iso, dateFormat)}</time>;
}
