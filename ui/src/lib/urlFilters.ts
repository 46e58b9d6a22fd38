import { useEffect, useState } from "react";
import { useSearchParams } from "react-router";
import { defaultNamespaceParams } from "./settings";

/** A list page's filters, kept in the URL: `update` changes some of them (an empty value removes one), `edit` makes
 * any change (repeated values), and the search box's `text` becomes the `q` filter a moment after the last key (back
 * to page 1). */
export function useUrlFilters() {
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const page = Math.max(1, Number(params.get("page") ?? "1") || 1);
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);
  const edit = (change: (next: URLSearchParams) => void) => {
    // From the address bar, not this render's `params`: a change made since (another filter picked while the
    // search box's delay runs) is already there and must not be undone.
    const next = new URLSearchParams(window.location.search);
    change(next);
    setParams(next, { replace: true });
  };
  const update = (changes: Record<string, string>) => edit((next) => {
    for (const [name, value] of Object.entries(changes)) {
      if (value) next.set(name, value);
      else next.delete(name);
    }
  });
  useEffect(() => {
    if (text === q) return;
    const timer = setTimeout(() => update({ q: text, page: "" }), 250);
    return () => clearTimeout(timer);
  });
  return { params, q, page, text, setText, update, edit };
}

/** A list page opened without any filter starts filtered on the default namespace of Settings. */
export function useDefaultNamespaceFilter(): void {
  const [params, setParams] = useSearchParams();
  useEffect(() => {
    const filtered = defaultNamespaceParams(params);
    if (filtered) setParams(filtered, { replace: true });
    // Only on arrival: once the user clears the filter, the list shows every namespace.
  }, []);  // eslint-disable-line react-hooks/exhaustive-deps
}
