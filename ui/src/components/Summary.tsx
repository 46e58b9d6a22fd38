import { useMemo } from "react";
import { markdownSummary } from "../lib/markdown";

/** A Markdown description in a list: its first paragraph as text, cut between words; all of it as a tooltip. */
export function Summary({ text, max = 120 }: { text?: string | null; max?: number }) {
  const { short, full } = useMemo(() => markdownSummary(text ?? "", max), [text, max]);
  if (!short) return null;
  return <span title={full}>{short}</span>;
}
