// The flow page's Triggers tab: each trigger's last and next dates, enable toggle, unlock, restart, and a
// backfill of Schedule triggers (start/end, inputs, labels) with pause, resume and delete.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import {
  backfillAction, flowTriggers, restartTrigger, setTriggerDisabled, startBackfill, unlockTrigger, type TriggerContext,
} from "../api/operations";
import { API, getFlow } from "../api/client";
import type { Paged, Task } from "../api/models";
import { parseLabels } from "../lib/executionFilters";
import { canIn, useMe } from "../lib/permissions";
import { ErrorMessage, Loading } from "./Messages";
import { When } from "./When";
import "../pages.css";

export const isSchedule = (type: string | null) => !!type && /(^|\.)Schedule$/.test(type);
/** Triggers with a state of their own to start afresh (dates, a cursor, a lease); Webhook and Flow have none. */
export const restartable = (type: string | null) => !!type && !/(^|\.)(Webhook|Flow)$/.test(type);

/** What a condition says, in one line: its short type and its properties. */
function conditionText(condition: Record<string, unknown>): string {
  const { type, ...rest } = condition;
  const props = Object.entries(rest).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
  return `${String(type ?? "").split(".").pop()}${props.length ? ` (${props.join(", ")})` : ""}`;
}

function CopyButton({ text, what }: { text: string; what: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button type="button" className="copy" aria-label={copied ? `Copied ${what}` : `Copy ${what}`}
      onClick={() => navigator.clipboard.writeText(text).then(() => setCopied(true), () => setCopied(false))}>
      {copied ? "Copied" : "Copy"}
    </button>
  );
}

/** What the trigger listens to: a cron and its next fire times, a webhook's URL and key, a flow's conditions. */
function TriggerDetails({ trigger: t, definition }: { trigger: TriggerContext; definition?: Task }) {
  if (!definition) return null;
  const conditions = (definition.conditions ?? definition.when) as Record<string, unknown>[] | undefined;
  return (
    <div className="trigger-details">
      {typeof definition.cron === "string" && (
        <p><code>{definition.cron}</code> <span className="muted">{String(definition.timezone ?? "Etc/UTC")}</span></p>
      )}
      {(t.nextDates?.length ?? 0) > 0 && (
        <>
          <span className="muted">Next:</span>
          <ol className="next-dates" aria-label={`Next fire times of ${t.triggerId}`}>
            {t.nextDates!.map((d) => <li key={d}><When iso={d} /></li>)}
          </ol>
        </>
      )}
      {/(^|\.)Webhook$/.test(t.type ?? "") && typeof definition.key === "string" && (() => {
        const url = `${location.origin}${API}/executions/webhook/${t.namespace}/${t.flowId}/${definition.key}`;
        return (
          <p className="webhook">
            <code className="url">{url}</code>{" "}
            <CopyButton text={url} what={`the webhook URL of ${t.triggerId}`} />
            <br /><span className="muted">Key <code>{definition.key}</code>: anyone with this URL can start the flow (GET, POST or PUT).</span>
          </p>
        );
      })()}
      {Array.isArray(conditions) && conditions.length > 0 && (
        <ul className="conditions" aria-label={`Conditions of ${t.triggerId}`}>
          {conditions.map((c, i) => <li key={i}>{conditionText(c)}</li>)}
        </ul>
      )}
    </div>
  );
}

export default function FlowTriggers({ namespace, flowId }: { namespace: string; flowId: string }) {
  const list = useQuery({ queryKey: ["triggers", namespace, flowId], queryFn: () => flowTriggers(namespace, flowId), refetchInterval: 5_000 });
  const flow = useQuery({ queryKey: ["flow", namespace, flowId], queryFn: () => getFlow(namespace, flowId) });
  const definitions = new Map((flow.data?.triggers ?? []).map((d) => [d.id, d]));
  const [backfilling, setBackfilling] = useState<string | null>(null);
  if (list.isError) return <ErrorMessage error={list.error} />;
  if (!list.data) return <Loading what="triggers" />;
  if (list.data.total === 0) return <p className="muted">This flow has no trigger: it runs when executed by hand, by the API or as a subflow.</p>;
  return (
    <div className="triggers">
      <table className="list">
        <caption className="sr-only">Triggers of {namespace}.{flowId}</caption>
        <thead>
          <tr><th scope="col">Trigger</th><th scope="col">Type</th><th scope="col">Listens to</th><th scope="col">Last date</th><th scope="col">Next date</th><th scope="col">Enabled</th><th scope="col">Actions</th></tr>
        </thead>
        <tbody>
          {list.data.results.map((t) => (
            <TriggerRow key={t.triggerId} trigger={t} definition={definitions.get(t.triggerId)} onBackfill={() => setBackfilling(backfilling === t.triggerId ? null : t.triggerId)} />
          ))}
        </tbody>
      </table>
      {list.data.results.filter((t) => t.backfill).map((t) => <BackfillStatus key={t.triggerId} trigger={t} />)}
      {backfilling && (() => {
        const trigger = list.data.results.find((t) => t.triggerId === backfilling);
        return trigger ? <BackfillForm trigger={trigger} onDone={() => setBackfilling(null)} /> : null;
      })()}
    </div>
  );
}

function useTriggerMutation<T>(trigger: TriggerContext, run: (arg: T) => Promise<TriggerContext>) {
  const client = useQueryClient();
  const key = ["triggers", trigger.namespace, trigger.flowId];
  return useMutation({
    mutationFn: run,
    onSuccess: (updated) => {
      // The answer is the trigger's new state: show it at once, then read the list again.
      client.setQueryData<Paged<TriggerContext>>(key, (list) => list && {
        ...list, results: list.results.map((t) => (t.triggerId === updated.triggerId ? updated : t)),
      });
      // Every list of triggers (this flow's, the global page's) reads it again.
      client.invalidateQueries({ queryKey: ["triggers"] });
    },
  });
}

function TriggerRow({ trigger: t, definition, onBackfill }: { trigger: TriggerContext; definition?: Task; onBackfill: () => void }) {
  const toggle = useTriggerMutation(t, (disabled: boolean) => setTriggerDisabled(t, disabled));
  // The switch shows the asked-for state from the click on (set in the event, so React never flips it back
  // while the request is on its way), until the answer replaces it.
  const [asked, setAsked] = useState<boolean | null>(null);
  const unlock = useTriggerMutation(t, () => unlockTrigger(t));
  const restart = useTriggerMutation(t, () => restartTrigger(t));
  const error = toggle.error ?? unlock.error ?? restart.error;
  const me = useMe();
  const mayUpdate = canIn(me, "TRIGGER:UPDATE", t.namespace);
  return (
    <tr data-trigger={t.triggerId}>
      <td>
        <code>{t.triggerId}</code>
        {t.error && (
          <p className="error" role="alert" aria-label={`Error of ${t.triggerId}`}>
            Failing since <When iso={t.errorDate} />: {t.error}
          </p>
        )}
      </td>
      <td>{(t.type ?? "").split(".").pop()}</td>
      <td><TriggerDetails trigger={t} definition={definition} /></td>
      <td><When iso={t.date} /></td>
      <td>{t.disabled ? <span className="muted">disabled</span> : <When iso={t.nextExecutionDate ?? t.nextDates?.[0] ?? null} />}</td>
      <td>
        <label className="check">
          <input type="checkbox" role="switch" aria-label={`Enable ${t.triggerId}`} checked={asked ?? !t.disabled} disabled={!mayUpdate}
            onChange={(e) => {
              setAsked(e.target.checked);
              toggle.mutate(!e.target.checked, { onSettled: () => setAsked(null) });
            }} />
          {t.disabled ? "Off" : "On"}
        </label>
        {t.disabledInSource && <small className="muted"> (disabled in the flow's source)</small>}
      </td>
      <td>
        <div className="actions">
          {t.executionId && (
            <>
              <span>Waits for <Link to={`/executions/${t.executionId}`}><code>{t.executionId.slice(0, 10)}</code></Link></span>
              {mayUpdate && <button type="button" onClick={() => unlock.mutate(undefined)} disabled={unlock.isPending} aria-label={`Unlock ${t.triggerId}`}>Unlock</button>}
            </>
          )}
          {restartable(t.type) && mayUpdate && (
            <button type="button" onClick={() => restart.mutate(undefined)} disabled={restart.isPending} aria-label={`Restart ${t.triggerId}`}
              title="Start afresh from now: lock cleared, past dates not recovered">Restart trigger</button>
          )}
          {isSchedule(t.type) && !t.backfill && canIn(me, "TRIGGER:BACKFILL", t.namespace) && <button type="button" onClick={onBackfill} aria-label={`Backfill ${t.triggerId}`}>Backfill</button>}
        </div>
        {error && <ErrorMessage error={error} />}
      </td>
    </tr>
  );
}

function BackfillStatus({ trigger: t }: { trigger: TriggerContext }) {
  const act = useTriggerMutation(t, (action: "pause" | "unpause" | "delete") => backfillAction(t, action));
  const b = t.backfill!;
  const mayBackfill = canIn(useMe(), "TRIGGER:BACKFILL", t.namespace);
  return (
    <div className="card" role="region" aria-label={`Backfill of ${t.triggerId}`}>
      <h2>Backfill of {t.triggerId}{b.paused ? " (paused)" : ""}</h2>
      <p>From <When iso={b.start} /> to <When iso={b.end} /> · at <When iso={b.currentDate} /> · {b.fired} execution{b.fired === 1 ? "" : "s"} started</p>
      {mayBackfill && <div className="actions">
        {b.paused
          ? <button type="button" onClick={() => act.mutate("unpause")} disabled={act.isPending}>Resume backfill</button>
          : <button type="button" onClick={() => act.mutate("pause")} disabled={act.isPending}>Pause backfill</button>}
        <button type="button" onClick={() => act.mutate("delete")} disabled={act.isPending}>Delete backfill</button>
      </div>}
      {act.isError && <ErrorMessage error={act.error} />}
    </div>
  );
}

/** `datetime-local` value (local time) to an ISO instant. */
const toInstant = (local: string) => (local ? new Date(local).toISOString() : undefined);

export function BackfillForm({ trigger: t, onDone }: { trigger: TriggerContext; onDone: () => void }) {
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");
  const [inputs, setInputs] = useState("");
  const [labels, setLabels] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const run = useTriggerMutation(t, () => {
    let parsed: Record<string, unknown> | undefined;
    if (inputs.trim()) parsed = JSON.parse(inputs) as Record<string, unknown>;
    return startBackfill(t, {
      start: toInstant(start)!, end: toInstant(end), inputs: parsed,
      labels: Object.fromEntries(parseLabels(labels).map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1)])),
    });
  });
  return (
    <form className="card backfill" aria-label={`Backfill ${t.triggerId}`} onSubmit={(e) => {
      e.preventDefault();
      if (!start) return setProblem("Pick the first date to replay.");
      if (inputs.trim()) {
        try {
          const value = JSON.parse(inputs);
          if (!value || typeof value !== "object" || Array.isArray(value)) return setProblem("Inputs must be a JSON object.");
        } catch (error) {
          return setProblem(`Inputs are not valid JSON: ${(error as Error).message}`);
        }
      }
      setProblem(null);
      run.mutate(undefined, { onSuccess: onDone });
    }}>
      <h2>Backfill {t.triggerId}</h2>
      <p className="muted">Start one execution for each date the schedule would have fired between these instants.</p>
      <label className="field">Start<input type="datetime-local" value={start} onChange={(e) => setStart(e.target.value)} required /></label>
      <label className="field">End (empty: now)<input type="datetime-local" value={end} onChange={(e) => setEnd(e.target.value)} /></label>
      <label className="field">Inputs (JSON object, optional)<textarea rows={3} value={inputs} onChange={(e) => setInputs(e.target.value)} placeholder='{"region": "EU"}' spellCheck={false} /></label>
      <label className="field">Labels (key:value, comma separated)<input value={labels} onChange={(e) => setLabels(e.target.value)} /></label>
      {problem && <p role="alert" className="error">{problem}</p>}
      {run.isError && <ErrorMessage error={run.error} />}
      <div className="dialog-actions">
        <button type="button" onClick={onDone}>Cancel</button>
        <button type="submit" className="primary" disabled={run.isPending}>Start backfill</button>
      </div>
    </form>
  );
}
