import { useMemo } from "react";
import { renderMarkdown } from "../lib/markdown";

/** Markdown written by users, sanitised (lib/markdown.ts) before it reaches the page. */
export function Markdown({ text, className = "markdown" }: { text: string; className?: string }) {
  const html = useMemo(() => renderMarkdown(text), [text]);
  return <div className={className} dangerouslySetInnerHTML={{ __html: html }} />;
}
