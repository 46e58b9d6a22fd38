import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { namespaces } from "../api/client";
import { ErrorMessage, Loading } from "../components/Messages";
import "../pages.css";

/** Namespaces that have flows, and a way to open any other (e.g. one with only KV entries or files). */
export default function NamespacesPage() {
  const spaces = useQuery({ queryKey: ["namespaces"], queryFn: namespaces });
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
      {spaces.isError && <ErrorMessage error={spaces.error} />}
      {spaces.isPending && <Loading what="namespaces" />}
      {spaces.data && (
        <ul className="cards-list">
          {spaces.data.length === 0 && <li className="muted">No flow yet, hence no namespace.</li>}
          {spaces.data.map((ns) => <li key={ns}><Link to={`/namespaces/${encodeURIComponent(ns)}`}>{ns}</Link></li>)}
        </ul>
      )}
    </section>
  );
}
