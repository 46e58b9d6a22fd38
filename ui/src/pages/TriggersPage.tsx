// The Triggers page: every trigger of the flows the caller may see, all namespaces, with its dates and state;
// enable/disable, unlock, restart and backfill per row, bulk enable/disable on a selection; filters in the URL.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link } from "react-router";
import { namespaces } from "../api/client";
import {
  restartTrigger, searchTriggers, setTriggerDisabled, setTriggersDisabled, unlockTrigger, type TriggerContext, type TriggerKey,
} from "../api/operations";
import { BackfillForm, isSchedule, restartable } from "../components/FlowTriggers";
import { ErrorMessage, Loading } from "../components/Messages";
import { Pager } from "../components/Pager";
import { SearchFilters } from "../components/SearchFilters";
import { When } from "../components/When";
import { canIn, canSomewhere, useMe } from "../lib/permissions";
import { useUrlFilters } from "../lib/urlFilters";
import "../pages.css";

const PAGE_SIZE = 25;
const keyOf = (t: TriggerKey) => `${t.namespace}/${t.flowId}/${t.triggerId}`;
const nameOf = (t: TriggerKey) => `${t.namespace}.${t.flowId}.${t.triggerId}`;
const SORTS: Record<string, string> = {
  "": "Flow, A to Z", "nextExecutionDate:asc": "Next date, soonest first", "date:desc": "Last date, latest first",
};
const shortType = (type: string | null) => (type ?? "").split(".").pop() || "?";

export default function TriggersPage() {
  const { params, q, page, text, setText, update } = useUrlFilters();
  const namespace = params.get("namespace") ?? "";
  const sort = params.get("sort") ?? "";
  const [selected, setSelected] = useState<Map<string, TriggerKey>>(new Map());
  const [outcome, setOutcome] = useState<string | null>(null);
  const [backfilling, setBackfilling] = useState<TriggerContext | null>(null);
  const client = useQueryClient();
  const me = useMe();
  const mayUpdate = canSomewhere(me, "TRIGGER:UPDATE");


  const spaces = useQuery({ queryKey: ["namespaces"], queryFn: namespaces });
  const found = useQuery({
    queryKey: ["triggers", "search", { q, namespace, sort, page }],
    queryFn: () => searchTriggers({ q, namespace, sort: sort in SORTS ? sort : "", page, size: PAGE_SIZE }),
    placeholderData: keepPreviousData,
    refetchInterval: 5_000,
  });
  const bulk = useMutation({
    mutationFn: (disabled: boolean) => setTriggersDisabled([...selected.values()], disabled),
    onSuccess: ({ count }, disabled) => {
      setOutcome(`${count} trigger${count === 1 ? "" : "s"} ${disabled ? "disabled" : "enabled"}.`);
      setSelected(new Map());
      client.invalidateQueries({ queryKey: ["triggers"] });
    },
  });
  const rows = (found.data?.results ?? []).map((r) => r.triggerContext);
  const select = (list: TriggerContext[], on: boolean) => setSelected((current) => {
    const next = new Map(current);
    for (const t of list) {
      if (on) next.set(keyOf(t), { namespace: t.namespace, flowId: t.flowId, triggerId: t.triggerId });
      else next.delete(keyOf(t));
    }
    return next;
  });
  const all = rows.length > 0 && rows.every((t) => selected.has(keyOf(t)));

  return (
    <section>
      <div className="page-head"><h1>Triggers</h1></div>
      <SearchFilters text={text} setText={setText} placeholder="namespace, flow or trigger id" namespace={namespace}
                     namespaces={spaces.data ?? []} update={update}>
        <label>
          Sort by
          <select value={sort in SORTS ? sort : ""} onChange={(e) => update({ sort: e.target.value, page: "" })}>
            {Object.entries(SORTS).map(([value, label]) => <option key={value} value={value}>{label}</option>)}
          </select>
        </label>
      </SearchFilters>
      {mayUpdate && selected.size > 0 && (
        <div className="actions bulk-actions" role="toolbar" aria-label="Bulk actions">
          <span>{selected.size} selected</span>
          <button type="button" disabled={bulk.isPending} onClick={() => bulk.mutate(false)}>Enable selected</button>
          <button type="button" disabled={bulk.isPending} onClick={() => bulk.mutate(true)}>Disable selected</button>
          <button type="button" className="ghost" onClick={() => setSelected(new Map())}>Unselect all</button>
        </div>
      )}
      {bulk.isError && <ErrorMessage error={bulk.error} />}
      {outcome && <p role="status" className="card">{outcome}</p>}
      {found.isError && <ErrorMessage error={found.error} />}
      {found.isPending && <Loading what="triggers" />}
      {found.data && (
        <>
          <table className="list triggers-list">
            <caption className="sr-only">Triggers</caption>
            <thead>
              <tr>
                {mayUpdate && (
                  <th scope="col"><input type="checkbox" aria-label="Select all on this page" checked={all}
                    onChange={(e) => select(rows, e.target.checked)} /></th>
                )}
                <th scope="col">Namespace</th><th scope="col">Flow</th><th scope="col">Trigger</th><th scope="col">Type</th>
                <th scope="col">Last date</th><th scope="col">Next date</th><th scope="col">State</th><th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((t) => (
                <Row key={keyOf(t)} trigger={t} selectable={mayUpdate} selected={selected.has(keyOf(t))}
                  onSelect={(on) => select([t], on)} onBackfill={() => setBackfilling(t)} />
              ))}
              {rows.length === 0 && (
                <tr><td colSpan={mayUpdate ? 9 : 8} className="muted">{q || namespace ? "No trigger matches." : "No flow has a trigger."}</td></tr>
              )}
            </tbody>
          </table>
          <Pager page={page} size={PAGE_SIZE} total={found.data.total} onPage={(p) => update({ page: p > 1 ? String(p) : "" })} />
        </>
      )}
      {backfilling && <BackfillDialog trigger={backfilling} onClose={() => setBackfilling(null)} />}
    </section>
  );
}

function useAction<T>(run: (arg: T) => Promise<TriggerContext>) {
  const client = useQueryClient();
  return useMutation({ mutationFn: run, onSuccess: () => client.invalidateQueries({ queryKey: ["triggers"] }) });
}

interface RowProps {
  trigger: TriggerContext;
  selectable: boolean;
  selected: boolean;
  onSelect: (on: boolean) => void;
  onBackfill: () => void;
}

function Row({ trigger: t, selectable, selected, onSelect, onBackfill }: RowProps) {
  const name = nameOf(t);
  const me = useMe();
  const mayUpdate = canIn(me, "TRIGGER:UPDATE", t.namespace);
  const mayBackfill = canIn(me, "TRIGGER:BACKFILL", t.namespace);
  const toggle = useAction((disabled: boolean) => setTriggerDisabled(t, disabled));
  // The switch shows the asked-for state from the click until the server's answer replaces it.
  const [asked, setAsked] = useState<boolean | null>(null);
  const unlock = useAction(() => unlockTrigger(t));
  const restart = useAction(() => restartTrigger(t));
  const error = toggle.error ?? unlock.error ?? restart.error;
  return (
    <tr data-trigger={name}>
      {selectable && (
        <td><input type="checkbox" aria-label={`Select ${name}`} checked={selected} disabled={!mayUpdate}
          onChange={(e) => onSelect(e.target.checked)} /></td>
      )}
      <td>{t.namespace}</td>
      <td><Link to={`/flows/${t.namespace}/${t.flowId}/triggers`}>{t.flowId}</Link></td>
      <td><code>{t.triggerId}</code></td>
      <td title={t.type ?? undefined}>{shortType(t.type)}</td>
      <td><When iso={t.date} /></td>
      <td>{t.disabled ? <span className="muted">—</span> : <When iso={t.nextExecutionDate ?? t.nextDates?.[0] ?? null} />}</td>
      <td>
        <span className="badge">{t.disabled ? "disabled" : "enabled"}</span>
        {t.disabledInSource && <small className="muted"> (in the flow's source)</small>}
        {t.executionId && (
          <div>Waits for <Link to={`/executions/${t.executionId}`}><code>{t.executionId.slice(0, 10)}</code></Link></div>
        )}
        {t.backfill && (
          <div className="muted">Backfill{t.backfill.paused ? " paused" : ""}: {t.backfill.fired} started</div>
        )}
        {t.error && (
          <p className="error" role="alert" aria-label={`Error of ${name}`}>Failing since <When iso={t.errorDate} />: {t.error}</p>
        )}
      </td>
      <td>
        <div className="actions">
          <label className="check">
            <input type="checkbox" role="switch" aria-label={`Enable ${name}`} checked={asked ?? !t.disabled} disabled={!mayUpdate}
              onChange={(e) => {
                setAsked(e.target.checked);
                toggle.mutate(!e.target.checked, { onSettled: () => setAsked(null) });
              }} />
            {t.disabled ? "Off" : "On"}
          </label>
          {t.executionId && mayUpdate && (
            <button type="button" onClick={() => unlock.mutate(undefined)} disabled={unlock.isPending} aria-label={`Unlock ${name}`}>Unlock</button>
          )}
          {restartable(t.type) && mayUpdate && (
            <button type="button" onClick={() => restart.mutate(undefined)} disabled={restart.isPending} aria-label={`Restart ${name}`}
              title="Start afresh from now: lock cleared, past dates not recovered">Restart</button>
          )}
          {isSchedule(t.type) && !t.backfill && mayBackfill && (
            <button type="button" onClick={onBackfill} aria-label={`Backfill ${name}`}>Backfill</button>
          )}
        </div>
        {error && <ErrorMessage error={error} />}
      </td>
    </tr>
  );
}

/** The backfill form of one Schedule trigger in a modal dialog. */
function BackfillDialog({ trigger, onClose }: { trigger: TriggerContext; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal?.();
  }, []);
  return (
    <dialog ref={dialog} className="dialog" aria-label={`Backfill ${nameOf(trigger)}`}
      onCancel={(e) => { e.preventDefault(); onClose(); }}>
      <BackfillForm trigger={trigger} onDone={onClose} />
    </dialog>
  );
}
