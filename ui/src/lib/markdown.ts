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
