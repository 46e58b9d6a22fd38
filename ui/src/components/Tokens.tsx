import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { createToken, listTokens, revokeToken, type IssuedToken, type TokenOwner } from "../api/iam";
import { ErrorMessage, Loading } from "./Messages";
import { When } from "./When";

const LIFETIMES = [
  { value: "P30D", label: "30 days" },
  { value: "P90D", label: "90 days" },
  { value: "P365D", label: "1 year" },
  { value: "", label: "Never expires" },
];

/** API tokens of an account: create (the token is shown once), list (never the secrets), revoke.
 * `editable`: the caller may create and revoke them. */
export function Tokens({ owner, label, editable = true }: { owner: TokenOwner; label: string; editable?: boolean }) {
  const client = useQueryClient();
  const key = ["tokens", owner.self ? "me" : owner.id];
  const tokens = useQuery({ queryKey: key, queryFn: () => listTokens(owner) });
  const [issued, setIssued] = useState<IssuedToken | null>(null);
  const [name, setName] = useState("");
  const [maxAge, setMaxAge] = useState("P90D");
  const refresh = () => client.invalidateQueries({ queryKey: key });
  const create = useMutation({
    mutationFn: () => createToken(owner, { name: name.trim(), description: "", maxAge: maxAge || null }),
    onSuccess: (token) => { setIssued(token); setName(""); void refresh(); },
  });
  const revoke = useMutation({ mutationFn: (id: string) => revokeToken(owner, id), onSuccess: refresh });
  return (
    <>
      {issued && (
        <div className="card token-once" role="status" aria-label="New API token">
          <p>Token <strong>{issued.name}</strong> created. Copy it now: it will not be shown again.</p>
          <code data-token>{issued.fullToken}</code>
          <button type="button" onClick={() => void navigator.clipboard?.writeText(issued.fullToken)}>Copy</button>{" "}
          <button type="button" onClick={() => setIssued(null)}>Done</button>
        </div>
      )}
      {editable && (
        <form className="filters" aria-label={`New API token for ${label}`} onSubmit={(e) => { e.preventDefault(); create.mutate(); }}>
          <label className="field">Token name<input value={name} onChange={(e) => setName(e.target.value)} required maxLength={255} /></label>
          <label className="field">Expires after
            <select value={maxAge} onChange={(e) => setMaxAge(e.target.value)}>
              {LIFETIMES.map((l) => <option key={l.value} value={l.value}>{l.label}</option>)}
            </select>
          </label>
          <div className="filter-buttons"><button type="submit" className="primary" disabled={create.isPending}>Create token</button></div>
        </form>
      )}
      {create.isError && <ErrorMessage error={create.error} />}
      {revoke.isError && <ErrorMessage error={revoke.error} />}
      {tokens.isError && <ErrorMessage error={tokens.error} />}
      {tokens.isPending && <Loading what="API tokens" />}
      {tokens.data && (
        <table className="list">
          <caption className="sr-only">API tokens of {label}</caption>
          <thead><tr><th scope="col">Name</th><th scope="col">Prefix</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col">Last used</th><th scope="col">State</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {tokens.data.map((t) => (
              <tr key={t.tokenId} data-token-row={t.name}>
                <td>{t.name}</td>
                <td><code>{t.tokenPrefix}…</code></td>
                <td><When iso={t.iat} /></td>
                <td>{t.exp ? <When iso={t.exp} /> : "never"}</td>
                <td>{t.lastUsed ? <When iso={t.lastUsed} /> : "never"}</td>
                <td>{t.revoked ? "revoked" : t.expired ? "expired" : "active"}</td>
                <td>
                  {editable && !t.revoked && !t.expired && (
                    <button type="button" aria-label={`Revoke ${t.name}`} disabled={revoke.isPending} onClick={() => revoke.mutate(t.tokenId)}>Revoke</button>
                  )}
                </td>
              </tr>
            ))}
            {tokens.data.length === 0 && <tr><td colSpan={7} className="muted">No API token yet.</td></tr>}
          </tbody>
        </table>
      )}
    </>
  );
}
