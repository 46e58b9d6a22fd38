import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useSearchParams } from "react-router";
import { namespaces } from "../api/client";
import { bulkDelete, bulkKill, bulkPause, bulkRestart, findExecutions, type BulkResult } from "../api/operations";
import { ExecutionTable } from "../components/ExecutionTable";
import { ErrorMessage, Loading } from "../components/Messages";
import { Pager } from "../components/Pager";
import {
  filtersFromParams, filtersToParams, PAGE_SIZES, parseLabels, SORTS, STATES, toQuery, type ExecutionFilters,
} from "../lib/executionFilters";
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
  const [params, setParams] = useSearchParams();
  const filters = filtersFromParams(params);
  const update = (changes: Partial<ExecutionFilters>) =>
    setParams(filtersToParams({ ...filters, page: 1, ...changes }), { replace: true });
  const [labelsText, setLabelsText] = useState(filters.labels.join(", "));
  const [flowText, setFlowText] = useState(filters.flowId);
  const labelKey = filters.labels.join(",");
  useEffect(() => setLabelsText(labelKey.split(",").join(", ")), [labelKey]);
  useEffect(() => setFlowText(filters.flowId), [filters.flowId]);

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
      <form className="filters" role="search" aria-label="Filter executions" onSubmit={(e) => {
        e.preventDefault();
        update({ labels: parseLabels(labelsText), flowId: flowText.trim() });
      }}>
        <label>
          Namespace
          <select value={filters.namespace} onChange={(e) => update({ namespace: e.target.value })}>
            <option value="">All namespaces</option>
            {(spaces.data ?? []).map((ns) => <option key={ns} value={ns}>{ns}</option>)}
          </select>
        </label>
        <label>
          Flow
          <input value={flowText} onChange={(e) => setFlowText(e.target.value)} onBlur={() => flowText !== filters.flowId && update({ flowId: flowText.trim() })}
            placeholder={filters.namespace ? "flow id" : "pick a namespace first"} disabled={!filters.namespace} className="narrow" />
        </label>
        <label>
          State
          <select multiple value={filters.states} size={4} onChange={(e) => update({ states: [...e.target.selectedOptions].map((o) => o.value) })}>
            {STATES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label>
          Labels
          <input value={labelsText} onChange={(e) => setLabelsText(e.target.value)} onBlur={() => update({ labels: parseLabels(labelsText) })}
            placeholder="key:value, key:value" className="narrow" />
        </label>
        <label>From<input type="date" value={filters.from} onChange={(e) => update({ from: e.target.value })} /></label>
        <label>To<input type="date" value={filters.to} onChange={(e) => update({ to: e.target.value })} /></label>
        <label>
          Order
          <select value={filters.sort} onChange={(e) => update({ sort: e.target.value })}>
            {Object.entries(SORTS).map(([value, label]) => <option key={value} value={value}>{label}</option>)}
          </select>
        </label>
        <label>
          Per page
          <select value={filters.size} onChange={(e) => update({ size: Number(e.target.value) })}>
            {PAGE_SIZES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <div className="filter-buttons">
          <button type="submit">Apply</button>
          <button type="button" className="ghost" onClick={() => setParams(new URLSearchParams(), { replace: true })}>Clear</button>
        </div>
      </form>

      <div className="actions" role="toolbar" aria-label="Bulk actions">
        <span className="muted">{selected.size} selected</span>
        {(Object.keys(ACTIONS) as Action[]).map((a) => (
          <button key={a} type="button" disabled={selected.size === 0 || bulk.isPending} onClick={() => setConfirm(a)}>
            {ACTIONS[a].label} selected
          </button>
        ))}
      </div>
      {confirm && (
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
