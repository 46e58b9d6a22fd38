import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate } from "react-router";
import { deleteFlows, saveBlob, setFlowsDisabled } from "../api/client";
import type { Flow } from "../api/models";
import { canIn, canSomewhere, useMe } from "../lib/permissions";
import { ErrorMessage } from "./Messages";

/** The source of a copy of `source` under a new id (`<id>_copy`): the `id:` line rewritten, the rest as written. */
export function duplicateSource(source: string, id: string): string {
  return source.replace(/^id[ \t]*:.*$/m, `id: ${id}_copy`);
}

/** A flow's lifecycle on its page: disable/enable, export its YAML, duplicate it, delete it (confirmed). */
export function FlowActions({ flow }: { flow: Flow }) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const ref = [{ namespace: flow.namespace, id: flow.id }];
  const refresh = () => client.invalidateQueries({ queryKey: ["flow", flow.namespace, flow.id] });
  const toggle = useMutation({ mutationFn: () => setFlowsDisabled(ref, !flow.disabled), onSuccess: refresh });
  const remove = useMutation({
    mutationFn: () => deleteFlows(ref),
    onSuccess: () => {
      client.invalidateQueries({ queryKey: ["flows"] });
      navigate(`/flows?namespace=${encodeURIComponent(flow.namespace)}`, { state: { deleted: `${flow.namespace}.${flow.id}` } });
    },
  });
  const source = flow.source ?? "";
  const me = useMe();
  const may = (permission: string) => canIn(me, permission, flow.namespace);
  return (
    <>
      <div className="actions" role="toolbar" aria-label="Flow actions">
        {may("FLOW:UPDATE") && (
          <button type="button" onClick={() => toggle.mutate()} disabled={toggle.isPending}>
            {flow.disabled ? "Enable" : "Disable"}
          </button>
        )}
        <button type="button" onClick={() => saveBlob(new Blob([source], { type: "application/x-yaml" }), `${flow.namespace}.${flow.id}.yml`)}>
          Export
        </button>
        {canSomewhere(me, "FLOW:CREATE") && (
          <button type="button" onClick={() => navigate("/flows/new", { state: { source: duplicateSource(source, flow.id) } })}>
            Duplicate
          </button>
        )}
        {may("FLOW:DELETE") && <button type="button" className="danger" onClick={() => setConfirming(true)}>Delete</button>}
      </div>
      {confirming && (
        <div className="card confirm" role="alertdialog" aria-label="Confirm delete">
          <p>Delete flow {flow.namespace}.{flow.id} and its triggers? Its executions and revisions are kept.</p>
          <button type="button" className="primary" onClick={() => remove.mutate()} disabled={remove.isPending}>Delete</button>{" "}
          <button type="button" onClick={() => setConfirming(false)}>Cancel</button>
        </div>
      )}
      {toggle.isError && <ErrorMessage error={toggle.error} />}
      {remove.isError && <ErrorMessage error={remove.error} />}
    </>
  );
}
