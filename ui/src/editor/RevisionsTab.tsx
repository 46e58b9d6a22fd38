// A flow's revisions: the list, a diff of any two (Monaco's diff editor, side by side or unified), and
// restore, which saves an old revision's source as a new revision. The compared pair and the view mode
// are in the URL, so a diff can be shared.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useSearchParams } from "react-router";
import { formatDate } from "../components/StateBadge";
import { ErrorMessage, Loading } from "../components/Messages";
import { flowRevisions, restoreRevision } from "./api";
import { DiffView } from "./DiffView";
import { comparedPair } from "./helpers";
import "./editor.css";

export default function RevisionsTab({ namespace, flowId }: { namespace: string; flowId: string }) {
  const client = useQueryClient();
  const [params, setParams] = useSearchParams();
  const revisions = useQuery({ queryKey: ["revisions", namespace, flowId], queryFn: () => flowRevisions(namespace, flowId) });
  const restore = useMutation({
    mutationFn: (source: string) => restoreRevision(namespace, flowId, source),
    onSuccess: (flow) => {
      client.invalidateQueries({ queryKey: ["revisions", namespace, flowId] });
      client.invalidateQueries({ queryKey: ["flow", namespace, flowId] });
      client.invalidateQueries({ queryKey: ["graph", namespace, flowId] });
      const next = new URLSearchParams(params);
      next.delete("left");
      next.set("right", String(flow.revision));
      setParams(next, { replace: true });
    },
  });
  if (revisions.isError) return <ErrorMessage error={revisions.error} />;
  if (!revisions.data) return <Loading what="revisions" />;
  const list = revisions.data;
  const numbers = list.map((r) => r.revision);
  const [left, right] = comparedPair(numbers, params.get("left"), params.get("right"));
  const latest = numbers[numbers.length - 1];
  const sideBySide = params.get("view") !== "unified";
  const set = (key: string, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value === null) next.delete(key);
    else next.set(key, value);
    setParams(next, { replace: true });
  };
  const sourceOf = (revision: number) => list.find((r) => r.revision === revision)?.source ?? "";

  return (
    <>
      <table className="list revisions">
        <caption className="sr-only">Revisions of {namespace}.{flowId}</caption>
        <thead>
          <tr><th scope="col">Revision</th><th scope="col">Saved</th><th scope="col">Left</th><th scope="col">Right</th><th scope="col">Actions</th></tr>
        </thead>
        <tbody>
          {[...list].reverse().map((r) => (
            <tr key={r.revision}>
              <td>{r.revision}{r.revision === latest && <span className="muted"> (current)</span>}</td>
              <td>{formatDate(r.updated ?? null)}</td>
              <td><input type="radio" name="left" aria-label={`Compare revision ${r.revision} on the left`}
                checked={left === r.revision} onChange={() => set("left", String(r.revision))} /></td>
              <td><input type="radio" name="right" aria-label={`Compare revision ${r.revision} on the right`}
                checked={right === r.revision} onChange={() => set("right", String(r.revision))} /></td>
              <td>
                {r.revision !== latest && (
                  <button type="button" onClick={() => restore.mutate(r.source ?? "")} disabled={restore.isPending}>
                    Restore revision {r.revision}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {restore.isSuccess && <p role="status" className="ok">Restored as revision {restore.data.revision}</p>}
      {restore.isError && <ErrorMessage error={restore.error} />}
      <div className="editor-toolbar">
        <h2>Revision {left} → revision {right}</h2>
        <label>
          <input type="checkbox" checked={!sideBySide} onChange={(e) => set("view", e.target.checked ? "unified" : null)} /> Unified diff
        </label>
      </div>
      <DiffView original={sourceOf(left)} modified={sourceOf(right)} sideBySide={sideBySide}
        ariaLabel={`Differences between revisions ${left} and ${right}`} />
    </>
  );
}
