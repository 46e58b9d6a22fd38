import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { namespaces, searchFlows } from "../api/client";
import { ErrorMessage, Loading } from "../components/Messages";
import { Pager } from "../components/Pager";

export const PAGE_SIZE = 25;

/** All flows, filtered and paged by the server; the filters live in the URL. */
export function FlowsPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const namespace = params.get("namespace") ?? "";
  const page = Math.max(1, Number(params.get("page") ?? "1") || 1);
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);

  const update = (changes: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    setParams(next, { replace: true });
  };
  // Search as the user types, a moment after the last key.
  useEffect(() => {
    if (text === q) return;
    const timer = setTimeout(() => update({ q: text, page: "" }), 250);
    return () => clearTimeout(timer);
  });

  const spaces = useQuery({ queryKey: ["namespaces"], queryFn: namespaces });
  const flows = useQuery({
    queryKey: ["flows", q, namespace, page],
    queryFn: () => searchFlows({ q, namespace, page, size: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });

  return (
    <section>
      <div className="page-head">
        <h1>Flows</h1>
        <Link className="button primary" to="/flows/new">Create flow</Link>
      </div>
      <form className="filters" role="search" onSubmit={(e) => { e.preventDefault(); update({ q: text, page: "" }); }}>
        <label>
          Search
          <input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="id, namespace or description" />
        </label>
        <label>
          Namespace
          <select value={namespace} onChange={(e) => update({ namespace: e.target.value, page: "" })}>
            <option value="">All namespaces</option>
            {(spaces.data ?? []).map((ns) => <option key={ns} value={ns}>{ns}</option>)}
          </select>
        </label>
      </form>
      {flows.isError && <ErrorMessage error={flows.error} />}
      {flows.isPending && <Loading what="flows" />}
      {flows.data && (
        <>
          <table className="list">
            <caption className="sr-only">Flows</caption>
            <thead>
              <tr><th scope="col">Flow</th><th scope="col">Namespace</th><th scope="col">Description</th><th scope="col">Revision</th></tr>
            </thead>
            <tbody>
              {flows.data.results.map((flow) => (
                <tr key={`${flow.namespace}.${flow.id}`}>
                  <td><Link to={`/flows/${flow.namespace}/${flow.id}`}>{flow.id}</Link></td>
                  <td>{flow.namespace}</td>
                  <td className="muted">{(flow.description ?? "").split("\n")[0]}</td>
                  <td>{flow.revision}</td>
                </tr>
              ))}
              {flows.data.results.length === 0 && (
                <tr><td colSpan={4} className="muted">No flow matches.</td></tr>
              )}
            </tbody>
          </table>
          <Pager page={page} size={PAGE_SIZE} total={flows.data.total} onPage={(p) => update({ page: p === 1 ? "" : String(p) })} />
        </>
      )}
    </section>
  );
}
