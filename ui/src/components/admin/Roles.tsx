import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { createRole, deleteRole, listRoles, updateRole, type Role } from "../../api/iam";
import { canOnInstance } from "../../lib/permissions";
import { ErrorMessage, Loading } from "../Messages";
import { ConfirmButton, Creator, type SectionProps } from "./common";

/** RESOURCE → its actions, from every permission the roles know (the managed Admin role holds them all). */
export function permissionTable(roles: Role[]): [string, string[]][] {
  const byResource = new Map<string, Set<string>>();
  for (const role of roles) {
    for (const permission of role.permissions) {
      const [resource = "", action = ""] = permission.split(":");
      if (!byResource.has(resource)) byResource.set(resource, new Set());
      byResource.get(resource)!.add(action);
    }
  }
  return [...byResource.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([r, actions]) => [r, [...actions].sort()]);
}

/** Roles: the five managed ones (read-only) and custom ones made of RESOURCE:ACTION permissions. */
export function Roles({ me }: SectionProps) {
  const client = useQueryClient();
  const roles = useQuery({ queryKey: ["roles"], queryFn: listRoles });
  const [editing, setEditing] = useState<Role | "new" | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: ["roles"] });
  const remove = useMutation({ mutationFn: (r: Role) => deleteRole(r.id), onSuccess: refresh });
  const table = permissionTable(roles.data ?? []);
  const form = editing && (
    <RoleForm key={editing === "new" ? "new" : editing.id} role={editing === "new" ? null : editing} table={table}
      onDone={() => { setEditing(null); void refresh(); }} onCancel={() => setEditing(null)} />
  );
  return (
    <>
      {canOnInstance(me, "ROLE:CREATE") && (
        <Creator label="New role" open={editing === "new"} setOpen={(open) => setEditing(open ? "new" : null)}>{form}</Creator>
      )}
      {editing !== "new" && form}
      {remove.isError && <ErrorMessage error={remove.error} />}
      {roles.isError && <ErrorMessage error={roles.error} />}
      {roles.isPending && <Loading what="roles" />}
      {roles.data && (
        <table className="list">
          <caption className="sr-only">Roles</caption>
          <thead><tr><th scope="col">Name</th><th scope="col">Permissions</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {roles.data.map((r) => (
              <tr key={r.id} data-role={r.name}>
                <td>{r.name}{r.managed && <span className="muted"> · managed</span>}<br /><small className="muted">{r.description}</small></td>
                <td>
                  <details>
                    <summary>{r.permissions.length} permissions</summary>
                    <span className="perm-list">{r.permissions.map((p) => <code key={p}>{p}</code>)}</span>
                  </details>
                </td>
                <td>
                  {!r.managed && canOnInstance(me, "ROLE:UPDATE") && (
                    <button type="button" aria-label={`Edit ${r.name}`} onClick={() => setEditing(r)}>Edit</button>
                  )}{" "}
                  {!r.managed && canOnInstance(me, "ROLE:DELETE") && <ConfirmButton label="Delete" what={r.name} onConfirm={() => remove.mutate(r)} />}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function RoleForm({ role, table, onDone, onCancel }: { role: Role | null; table: [string, string[]][]; onDone: () => void; onCancel: () => void }) {
  const [name, setName] = useState(role?.name ?? "");
  const [description, setDescription] = useState(role?.description ?? "");
  const [chosen, setChosen] = useState<Set<string>>(() => new Set(role?.permissions ?? []));
  const toggle = (permission: string) => {
    const next = new Set(chosen);
    if (next.has(permission)) next.delete(permission);
    else next.add(permission);
    setChosen(next);
  };
  const body = () => ({ name: name.trim(), description: description.trim(), permissions: [...chosen].sort() });
  const save = useMutation({ mutationFn: () => (role ? updateRole(role.id, body()) : createRole(body())), onSuccess: onDone });
  const title = role ? `Edit role ${role.name}` : "New role";
  return (
    <form className="card" aria-label={title} onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
      <h2>{title}</h2>
      <div className="kv-form">
        <label className="field">Name<input value={name} onChange={(e) => setName(e.target.value)} required maxLength={255} /></label>
        <label className="field">Description<input value={description} onChange={(e) => setDescription(e.target.value)} maxLength={2000} /></label>
      </div>
      <fieldset>
        <legend>Permissions ({chosen.size})</legend>
        <div className="checkgrid">
          {table.map(([resource, actions]) => (
            <div key={resource} role="group" aria-label={resource} className="perm-row">
              <strong>{resource}</strong>
              {actions.map((action) => {
                const permission = `${resource}:${action}`;
                return (
                  <label key={permission} className="field-checkbox field">
                    <input type="checkbox" checked={chosen.has(permission)} onChange={() => toggle(permission)} aria-label={permission} />
                    {action}
                  </label>
                );
              })}
            </div>
          ))}
        </div>
      </fieldset>
      {save.isError && <ErrorMessage error={save.error} />}
      <div className="dialog-actions">
        <button type="button" onClick={onCancel}>Cancel</button>
        <button type="submit" className="primary" disabled={save.isPending}>{role ? "Save role" : "Create role"}</button>
      </div>
    </form>
  );
}
