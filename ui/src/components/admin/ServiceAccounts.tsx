import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { createServiceAccount, deleteAccount, listAccounts, setAccountDisabled, type Account } from "../../api/iam";
import { canOnInstance } from "../../lib/permissions";
import { ErrorMessage, Loading } from "../Messages";
import { Tokens } from "../Tokens";
import { When } from "../When";
import { ConfirmButton, Creator, type SectionProps } from "./common";

/** Service accounts (for applications: API tokens only), their tokens, disable/enable and delete. */
export function ServiceAccounts({ me }: SectionProps) {
  const client = useQueryClient();
  const accounts = useQuery({ queryKey: ["accounts", "SERVICE_ACCOUNT"], queryFn: () => listAccounts("SERVICE_ACCOUNT") });
  const [creating, setCreating] = useState(false);
  const [open, setOpen] = useState<Account | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: ["accounts", "SERVICE_ACCOUNT"] });
  const toggle = useMutation({ mutationFn: (a: Account) => setAccountDisabled("SERVICE_ACCOUNT", a.id, !a.disabled), onSuccess: refresh });
  const remove = useMutation({ mutationFn: (a: Account) => deleteAccount("SERVICE_ACCOUNT", a.id), onSuccess: () => { setOpen(null); void refresh(); } });
  const mayUpdate = canOnInstance(me, "SERVICE_ACCOUNT:UPDATE");
  return (
    <>
      {canOnInstance(me, "SERVICE_ACCOUNT:CREATE") && (
        <Creator label="New service account" open={creating} setOpen={setCreating}>
          <AccountForm onDone={() => { setCreating(false); void refresh(); }} onCancel={() => setCreating(false)} />
        </Creator>
      )}
      {toggle.isError && <ErrorMessage error={toggle.error} />}
      {remove.isError && <ErrorMessage error={remove.error} />}
      {accounts.isError && <ErrorMessage error={accounts.error} />}
      {accounts.isPending && <Loading what="service accounts" />}
      {accounts.data && (
        <table className="list">
          <caption className="sr-only">Service accounts</caption>
          <thead><tr><th scope="col">Name</th><th scope="col">Description</th><th scope="col">State</th><th scope="col">Created</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {accounts.data.map((a) => (
              <tr key={a.id} data-service-account={a.username}>
                <td>{a.username}</td>
                <td>{a.description}</td>
                <td>{a.disabled ? "disabled" : "active"}</td>
                <td><When iso={a.created} /></td>
                <td>
                  {canOnInstance(me, "SERVICE_ACCOUNT:VIEW") && (
                    <button type="button" aria-label={`API tokens of ${a.username}`} onClick={() => setOpen(open?.id === a.id ? null : a)}>API tokens</button>
                  )}{" "}
                  {mayUpdate && (
                    <button type="button" aria-label={`${a.disabled ? "Enable" : "Disable"} ${a.username}`} onClick={() => toggle.mutate(a)}>{a.disabled ? "Enable" : "Disable"}</button>
                  )}{" "}
                  {canOnInstance(me, "SERVICE_ACCOUNT:DELETE") && <ConfirmButton label="Delete" what={a.username} onConfirm={() => remove.mutate(a)} />}
                </td>
              </tr>
            ))}
            {accounts.data.length === 0 && <tr><td colSpan={5} className="muted">No service account yet.</td></tr>}
          </tbody>
        </table>
      )}
      {open && (
        <>
          <h2>API tokens of {open.username}</h2>
          <Tokens key={open.id} owner={{ self: false, kind: "SERVICE_ACCOUNT", id: open.id }} label={open.username} editable={mayUpdate} />
        </>
      )}
    </>
  );
}

function AccountForm({ onDone, onCancel }: { onDone: () => void; onCancel: () => void }) {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const save = useMutation({ mutationFn: () => createServiceAccount({ name: name.trim(), description: description.trim() }), onSuccess: onDone });
  return (
    <form className="card kv-form" aria-label="New service account" onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
      <h2>New service account</h2>
      <label className="field">Name<input value={name} onChange={(e) => setName(e.target.value)} required pattern="[^:]+" maxLength={255} /></label>
      <label className="field">Description<input value={description} onChange={(e) => setDescription(e.target.value)} maxLength={2000} /></label>
      {save.isError && <ErrorMessage error={save.error} />}
      <div className="dialog-actions">
        <button type="button" onClick={onCancel}>Cancel</button>
        <button type="submit" className="primary" disabled={save.isPending}>Create service account</button>
      </div>
    </form>
  );
}
