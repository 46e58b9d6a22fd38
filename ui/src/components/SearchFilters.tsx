import type { ReactNode } from "react";

/** A list page's search form: the search text (sent as the user types, or on Enter), a namespace picker, and
 * whatever other filters the page adds. */
export function SearchFilters({ text, setText, placeholder, namespace, namespaces, update, children }: {
  text: string;
  setText: (text: string) => void;
  placeholder: string;
  namespace: string;
  namespaces: string[];
  update: (changes: Record<string, string>) => void;
  children?: ReactNode;
}) {
  return (
    <form className="filters" role="search" onSubmit={(e) => { e.preventDefault(); update({ q: text, page: "" }); }}>
      <label>
        Search
        <input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder={placeholder} />
      </label>
      <label>
        Namespace
        <select value={namespace} onChange={(e) => update({ namespace: e.target.value, page: "" })}>
          <option value="">All namespaces</option>
          {namespaces.map((ns) => <option key={ns} value={ns}>{ns}</option>)}
        </select>
      </label>
      {children}
    </form>
  );
}
