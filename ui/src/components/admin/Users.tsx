import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { createUser, deleteAccount, listAccounts, setAccountDisabled, setUserPassword, type Account } from "../../api/iam";
import { canOnInstance } from "../../lib/permissions";
import { ErrorMessage, Loading } from "../Messages";
import { When } from "../When";
import { ConfirmButton, Creator, type SectionProps } from "./common";

/** Users: create (with a password, or tokens only), disable/enable, set a password (clears a lockout), delete. */
export function Users({ me }: SectionProps) {
  const client = useQueryClient();
  const users = useQuery({ queryKey: ["accounts", "USER"], queryFn: () => listAccounts("USER") });
  const [creating, setCreating] = useState(false);
  const [resetting, setResetting] = useState<Account | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: ["accounts", "USER"] });
  const toggle = useMutation({ mutationFn: (a: Account) => setAccountDisabled("USER", a.id, !a.disabled), onSuccess: refresh });
  const remove = useMutation({ mutationFn: (a: Account) => deleteAccount("USER", a.id), onSuccess: refresh });
  const mayUpdate = canOnInstance(me, "USER:UPDATE");
  const mayDelete = canOnInstance(me, "USER:DELETE");
  return (
    <>
      {canOnInstance(me, "USER:CREATE") && (
        <Creator label="New user" open={creating} setOpen={setCreating}>
          <UserForm onDone={() => { setCreating(false); void refresh(); }} onCancel={() => setCreating(false)} />
        </Creator>
      )}
      {resetting && <PasswordForm user={resetting} onDone={() => { setResetting(null); void refresh(); }} />}
      {toggle.isError && <ErrorMessage error={toggle.error} />}
      {remove.isError && <ErrorMessage error={remove.error} />}
      {users.isError && <ErrorMessage error={users.error} />}
      {users.isPending && <Loading what="users" />}
      {users.data && (
        <table className="list">
          <caption className="sr-only">Users</caption>
          <thead><tr><th scope="col">User name</th><th scope="col">Display name</th><th scope="col">State</th><th scope="col">Created</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {users.data.map((u) => (
              <tr key={u.id} data-user={u.username}>
                <td>{u.username}{u.owner && <span className="muted"> · owner</span>}</td>
                <td>{u.displayName}</td>
                <td>{u.disabled ? "disabled" : u.locked ? "locked" : "active"}</td>
                <td><When iso={u.created} /></td>
                <td>
                  {mayUpdate && u.id !== me.id && (
                    <button type="button" aria-label={`${u.disabled ? "Enable" : "Disable"} ${u.username}`} onClick={() => toggle.mutate(u)}>
                      {u.disabled ? "Enable" : "Disable"}
                    </button>
                  )}{" "}
                  {mayUpdate && <button type="button" aria-label={`Set the password of ${u.username}`} onClick={() => setResetting(u)}>Set password</button>}{" "}
                  {mayDelete && u.id !== me.id && <ConfirmButton label="Delete" what={u.username} onConfirm={() => remove.mutate(u)} />}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="muted">A new user has no permission until a role is bound to it (Bindings), directly or through a group.</p>
    </>
  );
}

function UserForm({ onDone, onCancel }: { onDone: () => void; onCancel: () => void }) {
  const [username, setUsername] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [password, setPassword] = useState("");
  const save = useMutation({
    mutationFn: () => createUser({ username: username.trim(), displayName: displayName.trim(), password: password || null }),
    onSuccess: onDone,
  });
  return (
    <form className="card kv-form" aria-label="New user" onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
      <h2>New user</h2>
      <label className="field">User name<input value={username} onChange={(e) => setUsername(e.target.value)} required pattern="[^:]+" maxLength={255} /></label>
      <label className="field">Display name<input value={displayName} onChange={(e) => setDisplayName(e.target.value)} maxLength={255} /></label>
      <label className="field">Password
        <input type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} minLength={8} />
        <small className="muted">8 characters at least; leave empty for an account that signs in with API tokens or single sign-on only.</small>
      </label>
      {save.isError && <ErrorMessage error={save.error} />}
      <div className="dialog-actions">
        <button type="button" onClick={onCancel}>Cancel</button>
        <button type="submit" className="primary" disabled={save.isPending}>Create user</button>
      </div>
    </form>
  );
}

function PasswordForm({ user, onDone }: { user: Account; onDone: () => void }) {
  const [password, setPassword] = useState("");
  const save = useMutation({ mutationFn: () => setUserPassword(user.id, password), onSuccess: onDone });
  return (
    <form className="card kv-form" aria-label={`Password of ${user.username}`} onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
      <h2>Set the password of {user.username}</h2>
      <p className="muted">Their sessions end and a lockout is cleared.</p>
      <label className="field">New password<input type="password" autoComplete="new-password" required minLength={8} value={password} onChange={(e) => setPassword(e.target.value)} /></label>
      {save.isError && <ErrorMessage error={save.error} />}
      <div className="dialog-actions">
        <button type="button" onClick={onDone}>Cancel</button>
        <button type="submit" className="primary" disabled={save.isPending}>Set password</button>
      </div>
    </form>
  );
}
