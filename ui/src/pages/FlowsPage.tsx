import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useLocation } from "react-router";
import {
  deleteFlows, exportFlows, importFlows, namespaces, saveBlob, searchExecutions, searchFlows, setFlowsDisabled,
  type FlowRef,
} from "../api/client";
import type { Flow } from "../api/models";
import { ErrorMessage, Loading } from "../components/Messages";
import { Pager } from "../components/Pager";
import { SearchFilters } from "../components/SearchFilters";
import { StateBadge } from "../components/StateBadge";
import { Summary } from "../components/Summary";
import { canSomewhere, useMe } from "../lib/permissions";
import { useDefaultNamespaceFilter, useUrlFilters } from "../lib/urlFilters";

export const PAGE_SIZE = 25;

type Action = "enable" | "disable" | "export" | "delete";
const ACTIONS: Record<Action, { label: string; permission: string; run: (ids: FlowRef[]) => Promise<string> }> = {
  enable: { label: "Enable", permission: "FLOW:UPDATE", run: async (ids) => `${(await setFlowsDisabled(ids, false)).count} enabled` },
  disable: { label: "Disable", permission: "FLOW:UPDATE", run: async (ids) => `${(await setFlowsDisabled(ids, true)).count} disabled` },
  export: { label: "Export", permission: "FLOW:EXPORT", run: async (ids) => { saveBlob(await exportFlows(ids), "flows.zip"); return `${ids.length} exported`; } },
  delete: { label: "Delete", permission: "FLOW:DELETE", run: async (ids) => `${(await deleteFlows(ids)).count} deleted` },
};
const key = (flow: FlowRef) => `${flow.namespace}\u0000${flow.id}`;
const labelsOf = (flow: Flow): string[] => Array.isArray(flow.labels)
  ? flow.labels.map((l) => `${l.key}:${l.value}`)
  : Object.entries(flow.labels ?? {}).map(([k, v]) => `${k}:${v}`);

/** All flows, filtered and paged by the server (filters in the URL); import, and bulk enable/disable/export/delete. */
export function FlowsPage() {
  useDefaultNamespaceFilter();
  const { params, q, page, text, setText, update } = useUrlFilters();
  const namespace = params.get("namespace") ?? "";
  const deleted = (useLocation().state as { deleted?: string } | null)?.deleted;
  const [selected, setSelected] = useState<Map<string, FlowRef>>(new Map());
  const [confirm, setConfirm] = useState<Action | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const client = useQueryClient();


  const spaces = useQuery({ queryKey: ["namespaces"], queryFn: namespaces });
  const flows = useQuery({
    queryKey: ["flows", q, namespace, page],
    queryFn: () => searchFlows({ q, namespace, page, size: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });
  const done = (message: string, action?: Action) => {
    setOutcome(message);
    if (action !== "export") setSelected(new Map());  // an export leaves the flows (and the selection) as they are
    setConfirm(null);
    client.invalidateQueries({ queryKey: ["flows"] });
    client.invalidateQueries({ queryKey: ["namespaces"] });
  };
  const bulk = useMutation({
    mutationFn: (action: Action) => ACTIONS[action].run([...selected.values()]),
    onSuccess: (message, action) => done(message, action),
  });
  const upload = useMutation({
    mutationFn: importFlows,
    onSuccess: (rejected) => done(rejected.length ? `Imported; not valid flows: ${rejected.join(", ")}` : "Imported."),
  });
  const select = (rows: Flow[], on: boolean) => setSelected((current) => {
    const next = new Map(current);
    for (const flow of rows) {
      if (on) next.set(key(flow), { namespace: flow.namespace, id: flow.id });
      else next.delete(key(flow));
    }
    return next;
  });
  const rows = flows.data?.results ?? [];
  const all = rows.length > 0 && rows.every((f) => selected.has(key(f)));
  const me = useMe();
  const mayCreate = canSomewhere(me, "FLOW:CREATE");

  return (
    <section>
      <div className="page-head">
        <h1>Flows</h1>
        {mayCreate && (
          <label className="button file-button">
            Import
            <input type="file" accept=".yml,.yaml,.zip" disabled={upload.isPending}
              onChange={(e) => { const file = e.target.files?.[0]; if (file) upload.mutate(file); e.target.value = ""; }} />
          </label>
        )}
        {mayCreate && <Link className="button primary" to="/flows/new">Create flow</Link>}
      </div>
      <SearchFilters text={text} setText={setText} placeholder="id, namespace or description" namespace={namespace}
                     namespaces={spaces.data ?? []} update={update} />
      {deleted && !outcome && <p role="status" className="ok">Deleted flow {deleted}.</p>}
      {selected.size > 0 && (
        <div className="actions bulk-actions" role="toolbar" aria-label="Bulk actions">
          <span>{selected.size} selected</span>
          {(Object.keys(ACTIONS) as Action[]).filter((a) => canSomewhere(me, ACTIONS[a].permission)).map((a) => (
            <button key={a} type="button" disabled={bulk.isPending}
              onClick={() => (a === "delete" ? setConfirm(a) : bulk.mutate(a))}>
              {ACTIONS[a].label} selected
            </button>
          ))}
          <button type="button" className="ghost" onClick={() => setSelected(new Map())}>Unselect all</button>
        </div>
      )}
      {confirm && selected.size > 0 && (
        <div className="card confirm" role="alertdialog" aria-label="Confirm delete">
          <p>Delete {selected.size} flow{selected.size === 1 ? "" : "s"} and their triggers? Executions and revisions are kept.</p>
          <button type="button" className="primary" onClick={() => bulk.mutate(confirm)} disabled={bulk.isPending}>Confirm</button>{" "}
          <button type="button" onClick={() => setConfirm(null)}>Cancel</button>
        </div>
      )}
      {bulk.isError && <ErrorMessage error={bulk.error} />}
      {upload.isError && <ErrorMessage error={upload.error} />}
      {outcome && <p role="status" className="card">{outcome}</p>}
      {flows.isError && <ErrorMessage error={flows.error} />}
      {flows.isPending && <Loading what="flows" />}
      {flows.data && (
        <>
          <table className="list">
            <caption className="sr-only">Flows</caption>
            <thead>
              <tr>
                <th scope="col"><input type="checkbox" aria-label="Select all on this page" checked={all}
                  onChange={(e) => select(rows, e.target.checked)} /></th>
                <th scope="col">Flow</th><th scope="col">Namespace</th><th scope="col">Last run</th>
                <th scope="col">Triggers</th><th scope="col">Labels</th><th scope="col">Description</th><th scope="col">Revision</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((flow) => (
                <tr key={key(flow)}>
                  <td><input type="checkbox" aria-label={`Select ${flow.namespace}.${flow.id}`} checked={selected.has(key(flow))}
                    onChange={(e) => select([flow], e.target.checked)} /></td>
                  <td>
                    <Link to={`/flows/${flow.namespace}/${flow.id}`}>{flow.id}</Link>
                    {flow.disabled && <> <span className="badge">disabled</span></>}
                  </td>
                  <td>{flow.namespace}</td>
                  <td><LastRun flow={flow} /></td>
                  <td>{(flow.triggers ?? []).map((t) => t.id).join(", ") || <span className="muted">none</span>}</td>
                  <td><span className="labels">{labelsOf(flow).map((l) => <span key={l} className="badge">{l}</span>)}</span></td>
                  <td className="muted"><Summary text={flow.description} /></td>
                  <td>{flow.revision}</td>
                </tr>
              ))}
              {rows.length === 0 && (
                <tr><td colSpan={8} className="muted">No flow matches.</td></tr>
              )}
            </tbody>
          </table>
          <Pager page={page} size={PAGE_SIZE} total={flows.data.total} onPage={(p) => update({ page: p === 1 ? "" : String(p) })} />
        </>
      )}
    </section>
  );
}

/** The state of the flow's latest execution, linked to it. */
function LastRun({ flow }: { flow: Flow }) {
  const last = useQuery({
    queryKey: ["executions", flow.namespace, flow.id, 1, 1],
    queryFn: () => searchExecutions(flow.namespace, flow.id, 1, 1),
    staleTime: 10_000,
  });
  const execution = last.data?.results[0];
  if (!execution) return <span className="muted">{last.isPending ? "…" : "never"}</span>;
  return <Link to={`/executions/${execution.id}`}><StateBadge state={execution.state.current} /></Link>;
}
