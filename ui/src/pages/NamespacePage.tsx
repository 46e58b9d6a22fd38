import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, NavLink, useParams, useSearchParams } from "react-router";
import { searchFlows } from "../api/client";
import {
  findExecutions, kvDelete, kvGet, kvList, kvPut, KV_TYPES, type KVEntry, type KVType,
} from "../api/operations";
import { ExecutionTable } from "../components/ExecutionTable";
import { AssetList } from "../components/AssetList";
import { NamespaceFiles } from "../components/NamespaceFiles";
import { NamespaceSecrets } from "../components/NamespaceSecrets";
import { NamespaceSettingsTab } from "../components/NamespaceSettings";
import { ErrorMessage, Loading, NotFound } from "../components/Messages";
import { Pager } from "../components/Pager";
import { When } from "../components/When";
import "../pages.css";
import { Summary } from "../components/Summary";
import { canIn, READ_FILES, useMe } from "../lib/permissions";

// `permission`: the tab shows only to those who hold it on the namespace (or a parent).
const TABS: { path: string; label: string; permission?: string }[] = [
  { path: "", label: "Flows" },
  { path: "executions", label: "Executions" },
  { path: "files", label: "Files", permission: READ_FILES },
  { path: "kv", label: "KV store" },
  { path: "secrets", label: "Secrets" },
  { path: "variables", label: "Variables", permission: "NAMESPACE:VIEW" },
  { path: "plugin-defaults", label: "Plugin defaults", permission: "NAMESPACE:VIEW" },
  { path: "assets", label: "Assets", permission: "ASSET:LIST" },
];

export default function NamespacePage() {
  const { namespace = "", tab = "" } = useParams();
  const me = useMe();
  if (!TABS.some((t) => t.path === tab)) return <NotFound />;
  const base = `/namespaces/${encodeURIComponent(namespace)}`;
  const shown = TABS.filter((t) => !t.permission || canIn(me, t.permission, namespace));
  return (
    <section>
      <nav className="breadcrumb" aria-label="Breadcrumb"><Link to="/namespaces">Namespaces</Link> /</nav>
      <div className="page-head"><h1>{namespace}</h1></div>
      <nav className="tabs" aria-label="Namespace views">
        {shown.map((t) => <NavLink key={t.path} to={t.path ? `${base}/${t.path}` : base} end>{t.label}</NavLink>)}
      </nav>
      {tab === "" && <Flows namespace={namespace} />}
      {tab === "executions" && <Executions namespace={namespace} />}
      {tab === "files" && <NamespaceFiles namespace={namespace} />}
      {tab === "kv" && <KVStore namespace={namespace} />}
      {tab === "secrets" && <NamespaceSecrets namespace={namespace} />}
      {tab === "variables" && <NamespaceSettingsTab namespace={namespace} part="variables" />}
      {tab === "plugin-defaults" && <NamespaceSettingsTab namespace={namespace} part="pluginDefaults" />}
      {tab === "assets" && <NamespaceAssets namespace={namespace} />}
    </section>
  );
}

function usePage(): [number, (page: number) => void] {
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get("page")) || 1);
  return [page, (p) => {
    const next = new URLSearchParams(params);
    if (p > 1) next.set("page", String(p));
    else next.delete("page");
    setParams(next, { replace: true });
  }];
}

function Flows({ namespace }: { namespace: string }) {
  const [page, setPage] = usePage();
  const flows = useQuery({
    queryKey: ["flows", "", namespace, page],
    queryFn: () => searchFlows({ namespace, page, size: 25 }),
    placeholderData: keepPreviousData,
  });
  if (flows.isError) return <ErrorMessage error={flows.error} />;
  if (!flows.data) return <Loading what="flows" />;
  return (
    <>
      <table className="list">
        <caption className="sr-only">Flows of {namespace}</caption>
        <thead><tr><th scope="col">Flow</th><th scope="col">Namespace</th><th scope="col">Description</th><th scope="col">Revision</th></tr></thead>
        <tbody>
          {flows.data.results.map((f) => (
            <tr key={`${f.namespace}.${f.id}`}>
              <td><Link to={`/flows/${f.namespace}/${f.id}`}>{f.id}</Link></td>
              <td>{f.namespace}</td>
              <td className="muted"><Summary text={f.description} /></td>
              <td>{f.revision}</td>
            </tr>
          ))}
          {flows.data.total === 0 && <tr><td colSpan={4} className="muted">No flow in this namespace.</td></tr>}
        </tbody>
      </table>
      <Pager page={page} size={25} total={flows.data.total} onPage={setPage} />
    </>
  );
}

function Executions({ namespace }: { namespace: string }) {
  const [page, setPage] = usePage();
  const executions = useQuery({
    queryKey: ["executions", "namespace", namespace, page],
    queryFn: () => findExecutions({ namespace, page, size: 25 }),
    placeholderData: keepPreviousData,
    refetchInterval: 5_000,
  });
  if (executions.isError) return <ErrorMessage error={executions.error} />;
  if (!executions.data) return <Loading what="executions" />;
  return (
    <>
      {executions.data.total === 0 ? <p className="muted">No execution in this namespace.</p>
        : <ExecutionTable executions={executions.data.results} caption={`Executions of ${namespace}`} />}
      <Pager page={page} size={25} total={executions.data.total} onPage={setPage} />
      <p><Link to={`/executions?namespace=${encodeURIComponent(namespace)}`}>Filter these executions</Link></p>
    </>
  );
}

/** The value as the user edits it: strings bare, everything else as JSON. */
const asText = (type: KVType, value: unknown) => (type === "JSON" ? JSON.stringify(value, null, 2) : typeof value === "string" ? value : JSON.stringify(value));
/** The body the API parses as `type`: a JSON string for STRING so that quotes stay as typed. */
const asBody = (type: KVType, text: string) => (type === "STRING" ? JSON.stringify(text) : text);

function KVStore({ namespace }: { namespace: string }) {
  const client = useQueryClient();
  const entries = useQuery({ queryKey: ["kv", namespace], queryFn: () => kvList(namespace) });
  const [editing, setEditing] = useState<KVEntry | "new" | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const remove = useMutation({
    mutationFn: (key: string) => kvDelete(namespace, key),
    onSuccess: () => client.invalidateQueries({ queryKey: ["kv", namespace] }),
  });
  const me = useMe();
  const mayWrite = canIn(me, "KVSTORE:CREATE", namespace);
  const mayDelete = canIn(me, "KVSTORE:DELETE", namespace);
  return (
    <>
      {mayWrite && <div className="actions"><button type="button" className="primary" onClick={() => setEditing("new")}>Add a key</button></div>}
      {editing && (
        <KVForm key={editing === "new" ? "new" : editing.key} namespace={namespace} entry={editing === "new" ? null : editing}
          onDone={() => { setEditing(null); client.invalidateQueries({ queryKey: ["kv", namespace] }); }} onCancel={() => setEditing(null)} />
      )}
      {entries.isError && <ErrorMessage error={entries.error} />}
      {remove.isError && <ErrorMessage error={remove.error} />}
      {entries.isPending && <Loading what="keys" />}
      {entries.data && (
        <table className="list">
          <caption className="sr-only">Keys of {namespace}</caption>
          <thead><tr><th scope="col">Key</th><th scope="col">Type</th><th scope="col">Updated</th><th scope="col">Expires</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {entries.data.map((e) => (
              <tr key={e.key} data-key={e.key}>
                <td><code>{e.key}</code></td>
                <td>{e.type}</td>
                <td><When iso={e.updateDate} /></td>
                <td>{e.expirationDate ? <When iso={e.expirationDate} /> : <span className="muted">never</span>}</td>
                <td>
                  {mayWrite && <button type="button" onClick={() => setEditing(e)} aria-label={`Edit ${e.key}`}>Edit</button>}{" "}
                  {!mayDelete ? null : deleting === e.key ? (
                    <>
                      <button type="button" className="danger" onClick={() => { setDeleting(null); remove.mutate(e.key); }}>Confirm delete</button>{" "}
                      <button type="button" onClick={() => setDeleting(null)}>Keep</button>
                    </>
                  ) : <button type="button" onClick={() => setDeleting(e.key)} aria-label={`Delete ${e.key}`}>Delete</button>}
                </td>
              </tr>
            ))}
            {entries.data.length === 0 && <tr><td colSpan={5} className="muted">No key in this namespace.</td></tr>}
          </tbody>
        </table>
      )}
    </>
  );
}

function KVForm({ namespace, entry, onDone, onCancel }: { namespace: string; entry: KVEntry | null; onDone: () => void; onCancel: () => void }) {
  const current = useQuery({ queryKey: ["kv", namespace, entry?.key], queryFn: () => kvGet(namespace, entry!.key), enabled: entry !== null, gcTime: 0 });
  const [key, setKey] = useState(entry?.key ?? "");
  const [type, setType] = useState<KVType>(entry?.type ?? "STRING");
  const [text, setText] = useState<string | null>(null);
  const [ttl, setTtl] = useState("");
  const value = text ?? (current.data ? asText(current.data.type, current.data.value) : "");
  const save = useMutation({ mutationFn: () => kvPut(namespace, key.trim(), type, asBody(type, value), ttl.trim()), onSuccess: onDone });
  if (entry && current.isPending) return <Loading what="the value" />;
  return (
    <form className="card kv-form" aria-label={entry ? `Edit ${entry.key}` : "New key"} onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
      <h2>{entry ? `Edit ${entry.key}` : "New key"}</h2>
      <label className="field">Key<input value={key} onChange={(e) => setKey(e.target.value)} readOnly={entry !== null} required pattern="[a-zA-Z0-9][a-zA-Z0-9._-]*" /></label>
      <label className="field">
        Type
        <select value={type} onChange={(e) => setType(e.target.value as KVType)}>
          {KV_TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
        </select>
      </label>
      <label className="field">Value<textarea rows={type === "JSON" ? 6 : 2} value={value} onChange={(e) => setText(e.target.value)} required spellCheck={false} /></label>
      <label className="field">
        Time to live (ISO-8601 duration, e.g. PT1H or P7D; empty: never expires)
        <input value={ttl} onChange={(e) => setTtl(e.target.value)} placeholder="P7D" pattern="P.*" />
      </label>
      {current.isError && <ErrorMessage error={current.error} />}
      {save.isError && <ErrorMessage error={save.error} />}
      <div className="dialog-actions">
        <button type="button" onClick={onCancel}>Cancel</button>
        <button type="submit" className="primary" disabled={save.isPending}>Save</button>
      </div>
    </form>
  );
}


/** The assets of this namespace and those under it. */
function NamespaceAssets({ namespace }: { namespace: string }) {
  const [page, setPage] = useState(1);
  return <AssetList filters={{ namespace }} page={page} onPage={setPage} />;
}
