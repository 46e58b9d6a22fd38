import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { createTenant, deleteTenant, listTenants, renameTenant, type Tenant } from "../../api/iam";
import { canOnInstance } from "../../lib/permissions";
import { ErrorMessage, Loading } from "../Messages";
import { ConfirmButton, Creator, type SectionProps } from "./common";

/** Tenants: isolated sets of flows, executions, KV, files, secrets and bindings, each under /api/v1/<id>/.
 * `main` always exists; a tenant that still holds flows is not deleted (the API says so). */
export function Tenants({ me }: SectionProps) {
  const client = useQueryClient();
  const tenants = useQuery({ queryKey: ["tenants"], queryFn: listTenants });
  const [creating, setCreating] = useState(false);
  const [renaming, setRenaming] = useState<Tenant | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: ["tenants"] });
  const remove = useMutation({ mutationFn: (t: Tenant) => deleteTenant(t.id), onSuccess: () => void refresh() });
  return (
    <>
      {canOnInstance(me, "TENANT:CREATE") && (
        <Creator label="New tenant" open={creating} setOpen={setCreating}>
          <TenantForm onDone={() => { setCreating(false); void refresh(); }} onCancel={() => setCreating(false)} />
        </Creator>
      )}
      {remove.isError && <ErrorMessage error={remove.error} />}
      {tenants.isError && <ErrorMessage error={tenants.error} />}
      {tenants.isPending && <Loading what="tenants" />}
      {tenants.data && (
        <table className="list">
          <caption className="sr-only">Tenants</caption>
          <thead><tr><th scope="col">Id</th><th scope="col">Name</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {tenants.data.map((t) => (
              <tr key={t.id} data-tenant={t.id}>
                <td><code>{t.id}</code></td>
                <td>{t.name}</td>
                <td>
                  {canOnInstance(me, "TENANT:UPDATE") && (
                    <button type="button" aria-label={`Rename ${t.id}`} onClick={() => setRenaming(renaming?.id === t.id ? null : t)}>Rename</button>
                  )}{" "}
                  {t.id !== "main" && canOnInstance(me, "TENANT:DELETE") && (
                    <ConfirmButton label="Delete" what={t.id} onConfirm={() => remove.mutate(t)} />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {renaming && <RenameForm key={renaming.id} tenant={renaming} onDone={() => { setRenaming(null); void refresh(); }} onCancel={() => setRenaming(null)} />}
    </>
  );
}

function TenantForm({ onDone, onCancel }: { onDone: () => void; onCancel: () => void }) {
  const [id, setId] = useState("");
  const [name, setName] = useState("");
  const save = useMutation({ mutationFn: () => createTenant(id.trim(), name.trim()), onSuccess: onDone });
  return (
    <form className="card kv-form" aria-label="New tenant" onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
      <h2>New tenant</h2>
      <label className="field">Id<input value={id} onChange={(e) => setId(e.target.value)} required maxLength={64}
        pattern="[a-z0-9][a-z0-9_\-]{1,63}" title="2 to 64 lower-case letters, digits, '-' or '_'" /></label>
      <label className="field">Name<input value={name} onChange={(e) => setName(e.target.value)} maxLength={255} /></label>
      {save.isError && <ErrorMessage error={save.error} />}
      <div className="dialog-actions">
        <button type="button" onClick={onCancel}>Cancel</button>
        <button type="submit" className="primary" disabled={save.isPending}>Create tenant</button>
      </div>
    </form>
  );
}

function RenameForm({ tenant, onDone, onCancel }: { tenant: Tenant; onDone: () => void; onCancel: () => void }) {
  const [name, setName] = useState(tenant.name);
  const save = useMutation({ mutationFn: () => renameTenant(tenant.id, name.trim()), onSuccess: onDone });
  return (
    <form className="card kv-form" aria-label={`Rename ${tenant.id}`} onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
      <h2>Rename {tenant.id}</h2>
      <label className="field">Name<input value={name} onChange={(e) => setName(e.target.value)} required maxLength={255} /></label>
      {save.isError && <ErrorMessage error={save.error} />}
      <div className="dialog-actions">
        <button type="button" onClick={onCancel}>Cancel</button>
        <button type="submit" className="primary" disabled={save.isPending}>Save</button>
      </div>
    </form>
  );
}
