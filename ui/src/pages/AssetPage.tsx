// One asset: what is known of it, the assets upstream and downstream of it, and the executions that used it.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "react-router";
import { deleteAsset, executionsOf, getAsset, typeLabel, type Asset } from "../api/assets";
import { Markdown } from "../components/Markdown";
import { ErrorMessage, Loading } from "../components/Messages";
import { When } from "../components/When";
import { canIn, canOnInstance, useMe } from "../lib/permissions";
import "../pages.css";

export default function AssetPage() {
  const { assetId = "" } = useParams();
  const me = useMe();
  const navigate = useNavigate();
  const client = useQueryClient();
  const found = useQuery({ queryKey: ["asset", assetId], queryFn: () => getAsset(assetId) });
  const remove = useMutation({
    mutationFn: () => deleteAsset(assetId),
    onSuccess: () => { void client.invalidateQueries({ queryKey: ["assets"] }); navigate("/assets"); },
  });
  if (found.isError) return <section><h1>{assetId}</h1><ErrorMessage error={found.error} /></section>;
  if (!found.data) return <Loading what="the asset" />;
  const asset = found.data;
  const deletable = asset.namespace ? canIn(me, "ASSET:DELETE", asset.namespace) : canOnInstance(me, "ASSET:DELETE");
  const executions = executionsOf(asset.usages);
  return (
    <section>
      <div className="page-head">
        <h1>{asset.displayName ?? asset.id}</h1>
        {deletable && (
          <button type="button" className="danger" disabled={remove.isPending}
            onClick={() => { if (window.confirm(`Delete asset ${asset.id} and its recorded uses?`)) remove.mutate(); }}>Delete</button>
        )}
      </div>
      {remove.isError && <ErrorMessage error={remove.error} />}
      <dl className="summary" aria-label="Asset">
        <dt>Id</dt><dd><code>{asset.id}</code></dd>
        <dt>Type</dt><dd title={asset.type ?? ""}>{typeLabel(asset.type) || <span className="muted">—</span>}</dd>
        <dt>Namespace</dt><dd>{asset.namespace
          ? <Link to={`/namespaces/${encodeURIComponent(asset.namespace)}`}>{asset.namespace}</Link>
          : <span className="muted">—</span>}</dd>
        <dt>Created</dt><dd><When iso={asset.created} /></dd>
        <dt>Updated</dt><dd><When iso={asset.updated} /></dd>
      </dl>
      {asset.description && <Markdown text={asset.description} />}
      <h2>Metadata</h2>
      {Object.keys(asset.metadata).length === 0 ? <p className="muted">None.</p> : (
        <table className="list" aria-label="Metadata">
          <thead><tr><th scope="col">Key</th><th scope="col">Value</th></tr></thead>
          <tbody>
            {Object.entries(asset.metadata).map(([k, v]) => (
              <tr key={k}><td>{k}</td><td>{typeof v === "string" ? v : JSON.stringify(v)}</td></tr>
            ))}
          </tbody>
        </table>
      )}
      <Neighbours title="Upstream assets" empty="Nothing recorded as read by the tasks that wrote it." assets={asset.upstream} />
      <Neighbours title="Downstream assets" empty="Nothing recorded as written by the tasks that read it." assets={asset.downstream} />
      <h2>Executions</h2>
      {executions.length === 0 ? <p className="muted">No execution used it yet.</p> : (
        <table className="list" aria-label="Executions that used it">
          <thead><tr><th scope="col">Execution</th><th scope="col">Flow</th><th scope="col">Tasks</th><th scope="col">When</th></tr></thead>
          <tbody>
            {executions.map((e) => (
              <tr key={e.executionId}>
                <td><Link to={`/executions/${encodeURIComponent(e.executionId)}`}><code>{e.executionId.slice(0, 8)}</code></Link></td>
                <td><Link to={`/flows/${encodeURIComponent(e.namespace)}/${encodeURIComponent(e.flowId)}`}>{e.namespace}.{e.flowId}</Link></td>
                <td>{e.uses.map((u) => `${u.taskId} (${u.direction === "IN" ? "read" : "wrote"})`).join(", ")}</td>
                <td><When iso={e.created} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Neighbours({ title, empty, assets }: { title: string; empty: string; assets: Asset[] }) {
  return (
    <>
      <h2>{title}</h2>
      {assets.length === 0 ? <p className="muted">{empty}</p> : (
        <ul aria-label={title}>
          {assets.map((a) => (
            <li key={a.id}><Link to={`/assets/${encodeURIComponent(a.id)}`}>{a.id}</Link>
              {a.type ? <span className="muted"> {typeLabel(a.type)}</span> : null}</li>
          ))}
        </ul>
      )}
    </>
  );
}
