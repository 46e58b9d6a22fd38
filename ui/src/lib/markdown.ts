// User-written Markdown (flow descriptions, docs) to safe HTML: marked renders, DOMPurify keeps only inert
// markup (no scripts, event handlers, javascript: URLs, SVG or forms) and links open in a new tab without opener.
import DOMPurify from "dompurify";
import { marked } from "marked";

const FORBID_TAGS = ["style", "form", "input", "button", "textarea", "select", "iframe", "object", "embed", "svg", "math"];
let hooked = false;

export function renderMarkdown(text: string): string {
  if (!hooked) {
    DOMPurify.addHook("afterSanitizeAttributes", (node) => {
      if (node.tagName === "A" && node.getAttribute("href")) {
        node.setAttribute("target", "_blank");
        node.setAttribute("rel", "noopener noreferrer");
      }
    });
    hooked = true;
  }
  const html = marked.parse(text, { async: false, gfm: true, breaks: false }) as string;
  return DOMPurify.sanitize(html, { USE_PROFILES: { html: true }, FORBID_TAGS, FORBID_ATTR: ["style"] });
}

/** `text` cut to at most `max` characters between two words, with an ellipsis when something was cut. */
export function truncateWords(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat.length <= max) return flat;
  const room = flat.slice(0, max); // the ellipsis takes the last place
  const space = room.lastIndexOf(" ");
  // One very long word: cut inside it rather than show almost nothing.
  const cut = space > max * 0.5 ? room.slice(0, space) : room.slice(0, max - 1);
  return `${cut.replace(/[\s,;:.–—-]+$/, "")}…`;
}

/** A description's first paragraph as plain text (its Markdown rendered, then read as text), and all of it. */
export function markdownSummary(markdown: string, max: number): { short: string; full: string } {
  const html = renderMarkdown(markdown);
  const doc = new DOMParser().parseFromString(html, "text/html");
  const blocks = [...doc.body.children].map((el) => (el.textContent ?? "").replace(/\s+/g, " ").trim()).filter(Boolean);
  const full = blocks.join(" ");
  return { short: truncateWords(blocks[0] ?? "", max), full };
}
