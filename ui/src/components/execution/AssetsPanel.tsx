import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { executionAssets, typeLabel } from "../../api/assets";
import type { Execution } from "../../api/models";
import { ErrorMessage, Loading } from "../Messages";

/** The assets the execution's task runs read and wrote (declared in their `assets`), in the order recorded. */
export function AssetsPanel({ execution }: { execution: Execution }) {
  // Task runs record their assets when they end: read again whenever one more has ended.
  const ended = execution.taskRunList.filter((r) => r.state.endDate).length;
  const used = useQuery({
    queryKey: ["execution-assets", execution.id, ended, execution.state.current],
    queryFn: () => executionAssets(execution.id),
  });
  if (used.isError) return <ErrorMessage error={used.error} />;
  if (!used.data) return <Loading what="the assets" />;
  if (used.data.length === 0) {
    return <p className="muted">No task of this execution recorded an asset: tasks declare what they read and write in their <code>assets</code> property.</p>;
  }
  const names = new Map(execution.taskRunList.map((r) => [r.id, `${r.taskId}${r.value != null ? ` [${r.value}]` : ""}`]));
  return (
    <table className="list">
      <caption className="sr-only">Assets of this execution</caption>
      <thead><tr><th scope="col">Task</th><th scope="col">Did</th><th scope="col">Asset</th><th scope="col">Type</th><th scope="col">Namespace</th></tr></thead>
      <tbody>
        {used.data.map((u) => (
          <tr key={`${u.taskRunId}-${u.direction}-${u.assetId}`}>
            <td>{names.get(u.taskRunId) ?? u.taskId}</td>
            <td>{u.direction === "IN" ? "read" : "wrote"}</td>
            <td><Link to={`/assets/${encodeURIComponent(u.assetId)}`}>{u.assetId}</Link></td>
            <td title={u.asset?.type ?? ""}>{typeLabel(u.asset?.type)}</td>
            <td>{u.asset?.namespace ?? ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
