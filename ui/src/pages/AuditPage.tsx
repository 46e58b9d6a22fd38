import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useSearchParams } from "react-router";
import { auditExportUrl, searchAuditLogs, type AuditLog } from "../api/governance";
import { ErrorMessage, Loading } from "../components/Messages";
import { Pager } from "../components/Pager";
import { When } from "../components/When";
import "../pages.css";

const FILTERS = [
  { name: "resource", label: "Resource", placeholder: "FLOW, EXECUTION, SECRET…" },
  { name: "namespace", label: "Namespace", placeholder: "company.team" },
  { name: "userId", label: "User", placeholder: "alice" },
  { name: "type", label: "Action", placeholder: "CREATE, DELETE, READ…" },
  { name: "startDate", label: "From", placeholder: "2026-01-01T00:00:00Z" },
  { name: "endDate", label: "Until", placeholder: "2026-02-01T00:00:00Z" },
] as const;
const SIZE = 25;

/** Who changed what, when and from where: the audit log with its filters in the URL, and its export. */
export default function AuditPage() {
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get("page")) || 1);
  const filters = new URLSearchParams();
  for (const f of FILTERS) {
    const value = params.get(f.name);
    if (value) filters.set(f.name, value);
  }
  const [draft, setDraft] = useState<Record<string, string>>(() => Object.fromEntries(FILTERS.map((f) => [f.name, params.get(f.name) ?? ""])));
  const found = useQuery({
    queryKey: ["auditlogs", filters.toString(), page],
    queryFn: () => searchAuditLogs(filters, page, SIZE),
    placeholderData: keepPreviousData,
  });
  const apply = () => {
    const next = new URLSearchParams();
    for (const f of FILTERS) {
      const value = draft[f.name]?.trim();
      if (value) next.set(f.name, value);
    }
    setParams(next);
  };
  return (
    <section>
      <div className="page-head"><h1>Audit log</h1></div>
      <form className="filters" aria-label="Audit log filters" onSubmit={(e) => { e.preventDefault(); apply(); }}>
        {FILTERS.map((f) => (
          <label key={f.name} className="field">{f.label}
            <input value={draft[f.name] ?? ""} placeholder={f.placeholder} onChange={(e) => setDraft({ ...draft, [f.name]: e.target.value })} />
          </label>
        ))}
        <button type="submit" className="primary">Filter</button>{" "}
        <a href={auditExportUrl(filters)} download="auditlogs.jsonl">Export (JSON lines)</a>
      </form>
      {found.isError && <ErrorMessage error={found.error} />}
      {!found.data && !found.isError && <Loading what="the audit log" />}
      {found.data && (
        <>
          <table className="list">
            <caption className="sr-only">Audit log entries</caption>
            <thead><tr><th scope="col">When</th><th scope="col">User</th><th scope="col">Action</th><th scope="col">Resource</th><th scope="col">Namespace</th><th scope="col">From</th><th scope="col">Change</th></tr></thead>
            <tbody>
              {found.data.results.map((e) => <Row key={e.id} entry={e} />)}
              {found.data.total === 0 && <tr><td colSpan={7} className="muted">No entry matches.</td></tr>}
            </tbody>
          </table>
          <Pager page={page} size={SIZE} total={found.data.total} onPage={(p) => { const next = new URLSearchParams(params); next.set("page", String(p)); setParams(next); }} />
        </>
      )}
    </section>
  );
}

function Row({ entry }: { entry: AuditLog }) {
  const diff = typeof entry.details?.diff === "string" ? entry.details.diff : null;
  return (
    <tr data-audit={entry.id}>
      <td><When iso={entry.date} /></td>
      <td>{entry.userId}{entry.actorKind !== "user" ? <span className="muted"> ({entry.actorKind})</span> : null}</td>
      <td>{entry.type}</td>
      <td>{entry.resource} <code>{entry.resourceId}</code></td>
      <td>{entry.namespace ?? ""}</td>
      <td>{entry.ipAddress ?? ""}{entry.tokenId ? <span className="muted"> token {entry.tokenId}</span> : null}</td>
      <td>
        {entry.details ? (
          <details>
            <summary>Show</summary>
            <pre>{diff ?? JSON.stringify(entry.details, null, 2)}</pre>
          </details>
        ) : null}
      </td>
    </tr>
  );
}
