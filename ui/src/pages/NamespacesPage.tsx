import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { namespaceTree, type NamespaceSummary } from "../api/operations";
import { ErrorMessage, Loading } from "../components/Messages";
import { Pager } from "../components/Pager";
import "../pages.css";

const PAGE_SIZE = 100;
const COUNTS: { key: keyof Pick<NamespaceSummary, "flows" | "executions" | "kv" | "files">; label: string; tab: string }[] = [
  { key: "flows", label: "Flows", tab: "" },
  { key: "executions", label: "Executions", tab: "/executions" },
  { key: "kv", label: "KV entries", tab: "/kv" },
  { key: "files", label: "Files", tab: "/files" },
];

/** Namespaces as a hierarchy (a parent right before its children, indented) with what each holds itself, and a
 * way to open any other (e.g. one with only KV entries or files). */
export default function NamespacesPage() {
  const [page, setPage] = useState(1);
  const tree = useQuery({
    queryKey: ["namespaces", "tree", page], queryFn: () => namespaceTree(page, PAGE_SIZE), placeholderData: keepPreviousData,
  });
  const [other, setOther] = useState("");
  const navigate = useNavigate();
  return (
    <section>
      <div className="page-head"><h1>Namespaces</h1></div>
      <form className="filters" aria-label="Open a namespace" onSubmit={(e) => {
        e.preventDefault();
        if (other.trim()) navigate(`/namespaces/${encodeURIComponent(other.trim())}`);
      }}>
        <label>Open a namespace<input value={other} onChange={(e) => setOther(e.target.value)} placeholder="company.team" pattern="[a-zA-Z0-9][a-zA-Z0-9._-]*" /></label>
        <div className="filter-buttons"><button type="submit">Open</button></div>
      </form>
      {tree.isError && <ErrorMessage error={tree.error} />}
      {tree.isPending && <Loading what="namespaces" />}
      {tree.data && tree.data.total === 0 && <p className="muted">No flow yet, hence no namespace.</p>}
      {tree.data && tree.data.total > 0 && (
        <>
        <table className="list namespace-tree">
          <caption className="sr-only">Namespaces and what each holds</caption>
          <thead>
            <tr><th scope="col">Namespace</th>{COUNTS.map((c) => <th scope="col" key={c.key} className="num">{c.label}</th>)}</tr>
          </thead>
          <tbody>
            {tree.data.results.map((ns) => <Row key={ns.id} ns={ns} />)}
          </tbody>
        </table>
        <Pager page={page} size={PAGE_SIZE} total={tree.data.total} onPage={setPage} />
        </>
      )}
    </section>
  );
}

function Row({ ns }: { ns: NamespaceSummary }) {
  const depth = ns.id.split(".").length - 1;
  const base = `/namespaces/${encodeURIComponent(ns.id)}`;
  const name = ns.parent ? ns.id.slice(ns.parent.length + 1) : ns.id;
  return (
    <tr data-namespace={ns.id}>
      <th scope="row" style={{ paddingLeft: `${0.6 + depth * 1.4}rem` }}>
        {depth > 0 && <span className="muted" aria-hidden="true">└ </span>}
        <Link to={base} title={ns.id}>{name}</Link>
      </th>
      {COUNTS.map((c) => (
        <td key={c.key} className="num" data-count={c.key}>
          {ns[c.key] > 0 ? <Link to={base + c.tab} aria-label={`${ns[c.key]} ${c.label.toLowerCase()} of ${ns.id}`}>{ns[c.key]}</Link>
            : <span className="muted">0</span>}
        </td>
      ))}
    </tr>
  );
}
