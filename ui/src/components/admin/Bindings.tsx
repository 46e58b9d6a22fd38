import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { createBinding, deleteBinding, listBindings, type Binding, type SubjectType } from "../../api/iam";
import { canOnInstance } from "../../lib/permissions";
import { ErrorMessage, Loading } from "../Messages";
import { When } from "../When";
import { ConfirmButton, Creator, useAccounts, useGroups, useRoles, type SectionProps } from "./common";

const SUBJECTS: { type: SubjectType; label: string }[] = [
  { type: "USER", label: "User" },
  { type: "GROUP", label: "Group" },
  { type: "SERVICE_ACCOUNT", label: "Service account" },
];

/** Bindings: a role given to a user, a group or a service account, on the instance or on a namespace and its
 * children. */
export function Bindings({ me }: SectionProps) {
  const client = useQueryClient();
  const bindings = useQuery({ queryKey: ["bindings"], queryFn: listBindings });
  const roles = useRoles(me);
  const users = useAccounts(me, "USER");
  const services = useAccounts(me, "SERVICE_ACCOUNT");
  const groups = useGroups(me);
  const [creating, setCreating] = useState(false);
  const refresh = () => client.invalidateQueries({ queryKey: ["bindings"] });
  const remove = useMutation({ mutationFn: (b: Binding) => deleteBinding(b.id), onSuccess: refresh });
  const subjects: Record<SubjectType, { id: string; name: string }[]> = {
    USER: users.map((u) => ({ id: u.id, name: u.username })),
    SERVICE_ACCOUNT: services.map((s) => ({ id: s.id, name: s.username })),
    GROUP: groups.map((g) => ({ id: g.id, name: g.name })),
  };
  const subjectName = (b: Binding) => subjects[b.type]?.find((s) => s.id === b.externalId)?.name ?? b.externalId;
  const roleName = (id: string) => roles.find((r) => r.id === id)?.name ?? id;
  return (
    <>
      {canOnInstance(me, "BINDING:CREATE") && (
        <Creator label="New binding" open={creating} setOpen={setCreating}>
          <BindingForm roles={roles.map((r) => ({ id: r.id, name: r.name }))} subjects={subjects}
            onDone={() => { setCreating(false); void refresh(); }} onCancel={() => setCreating(false)} />
        </Creator>
      )}
      {remove.isError && <ErrorMessage error={remove.error} />}
      {bindings.isError && <ErrorMessage error={bindings.error} />}
      {bindings.isPending && <Loading what="bindings" />}
      {bindings.data && (
        <table className="list">
          <caption className="sr-only">Bindings</caption>
          <thead><tr><th scope="col">Role</th><th scope="col">Given to</th><th scope="col">Where</th><th scope="col">Created</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {bindings.data.map((b) => (
              <tr key={b.id} data-binding={`${roleName(b.roleId)} ${subjectName(b)}`}>
                <td>{roleName(b.roleId)}</td>
                <td>{subjectName(b)} <span className="muted">({SUBJECTS.find((s) => s.type === b.type)?.label.toLowerCase()})</span></td>
                <td>{b.namespace ? <>namespace <code>{b.namespace}</code> and its children</> : "the whole instance"}</td>
                <td><When iso={b.created} /></td>
                <td>{canOnInstance(me, "BINDING:DELETE") && <ConfirmButton label="Delete" what={`binding of ${roleName(b.roleId)} to ${subjectName(b)}`} onConfirm={() => remove.mutate(b)} />}</td>
              </tr>
            ))}
            {bindings.data.length === 0 && <tr><td colSpan={5} className="muted">No binding yet.</td></tr>}
          </tbody>
        </table>
      )}
    </>
  );
}

type Named = { id: string; name: string };

function BindingForm({ roles, subjects, onDone, onCancel }: {
  roles: Named[]; subjects: Record<SubjectType, Named[]>; onDone: () => void; onCancel: () => void;
}) {
  const [roleId, setRoleId] = useState("");
  const [type, setType] = useState<SubjectType>("USER");
  const [externalId, setExternalId] = useState("");
  const [namespace, setNamespace] = useState("");
  const save = useMutation({
    mutationFn: () => createBinding({ roleId, type, externalId, namespace: namespace.trim() || null }),
    onSuccess: onDone,
  });
  return (
    <form className="card kv-form" aria-label="New binding" onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
      <h2>New binding</h2>
      <label className="field">Role
        <select value={roleId} onChange={(e) => setRoleId(e.target.value)} required>
          <option value="">Choose…</option>
          {roles.map((r) => <option key={r.id} value={r.id}>{r.name}</option>)}
        </select>
      </label>
      <label className="field">Given to
        <select value={type} onChange={(e) => { setType(e.target.value as SubjectType); setExternalId(""); }}>
          {SUBJECTS.map((s) => <option key={s.type} value={s.type}>{s.label}</option>)}
        </select>
      </label>
      <label className="field">{SUBJECTS.find((s) => s.type === type)!.label}
        <select value={externalId} onChange={(e) => setExternalId(e.target.value)} required aria-label={SUBJECTS.find((s) => s.type === type)!.label}>
          <option value="">Choose…</option>
          {subjects[type].map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
        </select>
      </label>
      <label className="field">Namespace
        <input value={namespace} onChange={(e) => setNamespace(e.target.value)} placeholder="company.team" maxLength={150} />
        <small className="muted">Empty: the whole instance. A namespace covers its children (<code>dev</code> covers <code>dev.team</code>, not <code>development</code>).</small>
      </label>
      {save.isError && <ErrorMessage error={save.error} />}
      <div className="dialog-actions">
        <button type="button" onClick={onCancel}>Cancel</button>
        <button type="submit" className="primary" disabled={save.isPending}>Create binding</button>
      </div>
    </form>
  );
}
