import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { createGroup, deleteGroup, getGroup, listGroups, setGroupMember, type Group } from "../../api/iam";
import { canOnInstance } from "../../lib/permissions";
import { ErrorMessage, Loading } from "../Messages";
import { ConfirmButton, Creator, useAccounts, type SectionProps } from "./common";

/** Groups and their members: a role bound to a group reaches every member. */
export function Groups({ me }: SectionProps) {
  const client = useQueryClient();
  const groups = useQuery({ queryKey: ["groups"], queryFn: listGroups });
  const [creating, setCreating] = useState(false);
  const [open, setOpen] = useState<Group | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: ["groups"] });
  const remove = useMutation({ mutationFn: (g: Group) => deleteGroup(g.id), onSuccess: () => { setOpen(null); void refresh(); } });
  return (
    <>
      {canOnInstance(me, "GROUP:CREATE") && (
        <Creator label="New group" open={creating} setOpen={setCreating}>
          <GroupForm onDone={() => { setCreating(false); void refresh(); }} onCancel={() => setCreating(false)} />
        </Creator>
      )}
      {remove.isError && <ErrorMessage error={remove.error} />}
      {groups.isError && <ErrorMessage error={groups.error} />}
      {groups.isPending && <Loading what="groups" />}
      {groups.data && (
        <table className="list">
          <caption className="sr-only">Groups</caption>
          <thead><tr><th scope="col">Name</th><th scope="col">Description</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {groups.data.map((g) => (
              <tr key={g.id} data-group={g.name}>
                <td>{g.name}</td>
                <td>{g.description}</td>
                <td>
                  {canOnInstance(me, "GROUP:VIEW") && (
                    <button type="button" aria-label={`Members of ${g.name}`} onClick={() => setOpen(open?.id === g.id ? null : g)}>Members</button>
                  )}{" "}
                  {canOnInstance(me, "GROUP:DELETE") && <ConfirmButton label="Delete" what={g.name} onConfirm={() => remove.mutate(g)} />}
                </td>
              </tr>
            ))}
            {groups.data.length === 0 && <tr><td colSpan={3} className="muted">No group yet.</td></tr>}
          </tbody>
        </table>
      )}
      {open && <Members key={open.id} me={me} group={open} />}
    </>
  );
}

function Members({ me, group }: SectionProps & { group: Group }) {
  const client = useQueryClient();
  const detail = useQuery({ queryKey: ["groups", group.id], queryFn: () => getGroup(group.id) });
  const accounts = [...useAccounts(me, "USER"), ...useAccounts(me, "SERVICE_ACCOUNT")];
  const nameOf = (id: string) => accounts.find((a) => a.id === id)?.username ?? id;
  const [adding, setAdding] = useState("");
  const change = useMutation({
    mutationFn: ({ id, member }: { id: string; member: boolean }) => setGroupMember(group.id, id, member),
    onSuccess: () => { setAdding(""); void client.invalidateQueries({ queryKey: ["groups", group.id] }); },
  });
  const members = detail.data?.members ?? [];
  const mayUpdate = canOnInstance(me, "GROUP:UPDATE");
  const candidates = accounts.filter((a) => !members.includes(a.id));
  return (
    <section aria-label={`Members of ${group.name}`}>
      <h2>Members of {group.name}</h2>
      {detail.isError && <ErrorMessage error={detail.error} />}
      {change.isError && <ErrorMessage error={change.error} />}
      {detail.isPending && <Loading what="members" />}
      <ul>
        {members.map((id) => (
          <li key={id}>
            {nameOf(id)}{" "}
            {mayUpdate && <button type="button" aria-label={`Remove ${nameOf(id)} from ${group.name}`} onClick={() => change.mutate({ id, member: false })}>Remove</button>}
          </li>
        ))}
        {detail.data && members.length === 0 && <li className="muted">No member yet.</li>}
      </ul>
      {mayUpdate && (
        <form className="inline-form" aria-label={`Add a member to ${group.name}`} onSubmit={(e) => { e.preventDefault(); if (adding) change.mutate({ id: adding, member: true }); }}>
          <label>Account{" "}
            <select value={adding} onChange={(e) => setAdding(e.target.value)} required>
              <option value="">Choose…</option>
              {candidates.map((a) => <option key={a.id} value={a.id}>{a.username}{a.type === "SERVICE_ACCOUNT" ? " (service account)" : ""}</option>)}
            </select>
          </label>
          <button type="submit" disabled={!adding || change.isPending}>Add member</button>
        </form>
      )}
    </section>
  );
}

function GroupForm({ onDone, onCancel }: { onDone: () => void; onCancel: () => void }) {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const save = useMutation({ mutationFn: () => createGroup(name.trim(), description.trim()), onSuccess: onDone });
  return (
    <form className="card kv-form" aria-label="New group" onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
      <h2>New group</h2>
      <label className="field">Name<input value={name} onChange={(e) => setName(e.target.value)} required maxLength={255} /></label>
      <label className="field">Description<input value={description} onChange={(e) => setDescription(e.target.value)} maxLength={2000} /></label>
      {save.isError && <ErrorMessage error={save.error} />}
      <div className="dialog-actions">
        <button type="button" onClick={onCancel}>Cancel</button>
        <button type="submit" className="primary" disabled={save.isPending}>Create group</button>
      </div>
    </form>
  );
}
