import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useSearchParams } from "react-router";
import { namespaces } from "../api/client";
import { bulkDelete, bulkKill, bulkPause, bulkRestart, findExecutions, type BulkResult } from "../api/operations";
import { ExecutionTable } from "../components/ExecutionTable";
import { ErrorMessage, Loading } from "../components/Messages";
import { Pager } from "../components/Pager";
import { FilterBar } from "../components/FilterBar";
import { filtersFromParams, filtersToParams, toQuery, type ExecutionFilters } from "../lib/executionFilters";
import { useDefaultNamespaceFilter } from "../lib/urlFilters";
import "../pages.css";

const ACTIONS = {
  kill: { label: "Kill", run: bulkKill },
  pause: { label: "Pause", run: bulkPause },
  restart: { label: "Restart", run: bulkRestart },
  delete: { label: "Delete", run: bulkDelete },
} as const;
type Action = keyof typeof ACTIONS;

/** Every execution, filtered and paged by the server; filters live in the URL; bulk kill/restart/delete. */
export default function ExecutionsPage() {
  useDefaultNamespaceFilter();
  const [params, setParams] = useSearchParams();
  const filters = filtersFromParams(params);
  const update = (changes: Partial<ExecutionFilters>) =>
    setParams(filtersToParams({ ...filters, page: 1, ...changes }), { replace: true });

  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [confirm, setConfirm] = useState<Action | null>(null);
  const [outcome, setOutcome] = useState<{ action: Action; result: BulkResult } | null>(null);
  const client = useQueryClient();
  const spaces = useQuery({ queryKey: ["namespaces"], queryFn: namespaces });
  const executions = useQuery({
    queryKey: ["executions", "search", filtersToParams(filters).toString()],
    queryFn: () => findExecutions(toQuery(filters)),
    placeholderData: keepPreviousData,
    refetchInterval: 5_000,
  });
  const bulk = useMutation({
    mutationFn: (action: Action) => ACTIONS[action].run([...selected]),
    onSuccess: (result, action) => {
      setOutcome({ action, result });
      setSelected(new Set());
      setConfirm(null);
      client.invalidateQueries({ queryKey: ["executions"] });
    },
  });

  const select = (ids: string[], on: boolean) => setSelected((current) => {
    const next = new Set(current);
    for (const id of ids) {
      if (on) next.add(id);
      else next.delete(id);
    }
    return next;
  });

  return (
    <section>
      <div className="page-head"><h1>Executions</h1></div>
      <FilterBar filters={filters} namespaces={spaces.data ?? []} update={update}
        clear={() => setParams(new URLSearchParams(), { replace: true })} />

      {selected.size > 0 && (
        <div className="actions bulk-actions" role="toolbar" aria-label="Bulk actions">
          <span>{selected.size} selected</span>
          {(Object.keys(ACTIONS) as Action[]).map((a) => (
            <button key={a} type="button" disabled={bulk.isPending} onClick={() => setConfirm(a)}>
              {ACTIONS[a].label} selected
            </button>
          ))}
          <button type="button" className="ghost" onClick={() => setSelected(new Set())}>Unselect all</button>
        </div>
      )}
      {confirm && selected.size > 0 && (
        <div className="card confirm" role="alertdialog" aria-label={`Confirm ${ACTIONS[confirm].label.toLowerCase()}`}>
          <p>{ACTIONS[confirm].label} {selected.size} execution{selected.size === 1 ? "" : "s"}?{confirm === "delete" ? " Their logs and files go too." : ""}</p>
          <button type="button" className="primary" onClick={() => bulk.mutate(confirm)} disabled={bulk.isPending}>Confirm</button>{" "}
          <button type="button" onClick={() => setConfirm(null)}>Cancel</button>
        </div>
      )}
      {bulk.isError && <ErrorMessage error={bulk.error} />}
      {outcome && (
        <div role="status" className="card">
          {ACTIONS[outcome.action].label}: {outcome.result.count} done.
          {outcome.result.errors.length > 0 && (
            <ul>{outcome.result.errors.map((e) => <li key={e.id}><code>{e.id}</code>: {e.message}</li>)}</ul>
          )}
        </div>
      )}

      {executions.isError && <ErrorMessage error={executions.error} />}
      {executions.isPending && <Loading what="executions" />}
      {executions.data && (
        <>
          {executions.data.total === 0 ? <p className="muted">No execution matches.</p> : (
            <ExecutionTable executions={executions.data.results} caption="Executions" selected={selected} onSelect={select} />
          )}
          <Pager page={filters.page} size={filters.size} total={executions.data.total}
            onPage={(page) => setParams(filtersToParams({ ...filters, page }), { replace: true })} />
        </>
      )}
    </section>
  );
}
