import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { inheritedSecrets, secretDelete, secretList, secretPut } from "../api/governance";
import { canIn, useMe } from "../lib/permissions";
import { ErrorMessage, Loading } from "./Messages";
import { When } from "./When";

/** The secrets of a namespace: keys, descriptions, who changed them and when; values can be set, never read. */
export function NamespaceSecrets({ namespace }: { namespace: string }) {
  const client = useQueryClient();
  const own = useQuery({ queryKey: ["secrets", namespace], queryFn: () => secretList(namespace) });
  const inherited = useQuery({ queryKey: ["secrets", namespace, "inherited"], queryFn: () => inheritedSecrets(namespace) });
  const [editing, setEditing] = useState<string | "new" | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: ["secrets", namespace] });
  const remove = useMutation({ mutationFn: (key: string) => secretDelete(namespace, key), onSuccess: refresh });
  const parents = Object.entries(inherited.data ?? {});
  // PUT both creates and replaces: it needs SECRET:CREATE on the namespace.
  const me = useMe();
  const mayWrite = canIn(me, "SECRET:CREATE", namespace) && !own.data?.readOnly;
  const mayDelete = canIn(me, "SECRET:DELETE", namespace) && !own.data?.readOnly;
  return (
    <>
      <p className="muted">Flows of this namespace and of its children read a secret with <code>{"{{ secret('KEY') }}"}</code>; values are encrypted and never shown again.</p>
      {mayWrite && <div className="actions"><button type="button" className="primary" onClick={() => setEditing("new")}>Add a secret</button></div>}
      {editing && (
        <SecretForm key={editing} namespace={namespace} existing={editing === "new" ? null : editing}
          onDone={() => { setEditing(null); void refresh(); }} onCancel={() => setEditing(null)} />
      )}
      {own.isError && <ErrorMessage error={own.error} />}
      {remove.isError && <ErrorMessage error={remove.error} />}
      {own.isPending && <Loading what="secrets" />}
      {own.data && (
        <table className="list">
          <caption className="sr-only">Secrets of {namespace}</caption>
          <thead><tr><th scope="col">Key</th><th scope="col">Description</th><th scope="col">Updated</th><th scope="col">By</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {own.data.results.map((s) => (
              <tr key={s.key} data-secret={s.key}>
                <td><code>{s.key}</code></td>
                <td>{s.description ?? ""}</td>
                <td><When iso={s.updateDate} /></td>
                <td>{s.updatedBy ?? ""}</td>
                <td>
                  {mayWrite && <button type="button" onClick={() => setEditing(s.key)} aria-label={`Replace ${s.key}`}>Replace</button>}{" "}
                  {!mayDelete ? null : deleting === s.key ? (
                    <>
                      <button type="button" className="danger" onClick={() => { setDeleting(null); remove.mutate(s.key); }}>Confirm delete</button>{" "}
                      <button type="button" onClick={() => setDeleting(null)}>Keep</button>
                    </>
                  ) : <button type="button" onClick={() => setDeleting(s.key)} aria-label={`Delete ${s.key}`}>Delete</button>}
                </td>
              </tr>
            ))}
            {own.data.total === 0 && <tr><td colSpan={5} className="muted">No secret in this namespace.</td></tr>}
          </tbody>
        </table>
      )}
      {parents.length > 0 && (
        <>
          <h2>Inherited</h2>
          <ul aria-label="Inherited secrets">
            {parents.map(([parent, keys]) => keys.map((key) => <li key={`${parent}/${key}`}><code>{key}</code> <span className="muted">from {parent}</span></li>))}
          </ul>
        </>
      )}
    </>
  );
}

function SecretForm({ namespace, existing, onDone, onCancel }: { namespace: string; existing: string | null; onDone: () => void; onCancel: () => void }) {
  const [key, setKey] = useState(existing ?? "");
  const [value, setValue] = useState("");
  const [description, setDescription] = useState("");
  const save = useMutation({ mutationFn: () => secretPut(namespace, key.trim(), value, description.trim()), onSuccess: onDone });
  return (
    <form className="card kv-form" aria-label={existing ? `Replace ${existing}` : "New secret"} onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
      <h2>{existing ? `Replace ${existing}` : "New secret"}</h2>
      <label className="field">Key<input value={key} onChange={(e) => setKey(e.target.value)} readOnly={existing !== null} required pattern="[A-Za-z0-9_][A-Za-z0-9_.\-]*" /></label>
      <label className="field">Value<input type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} required /></label>
      <label className="field">Description<input value={description} onChange={(e) => setDescription(e.target.value)} /></label>
      {save.isError && <ErrorMessage error={save.error} />}
      <div className="dialog-actions">
        <button type="button" onClick={onCancel}>Cancel</button>
        <button type="submit" className="primary" disabled={save.isPending}>Save</button>
      </div>
    </form>
  );
}
