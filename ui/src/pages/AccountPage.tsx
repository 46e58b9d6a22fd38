import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { loginUrl } from "../api/client";
import { changeOwnPassword } from "../api/iam";
import { here } from "../lib/tenant";
import { ErrorMessage, Loading } from "../components/Messages";
import { Tokens } from "../components/Tokens";
import { openMode, useMe } from "../lib/permissions";
import "../pages.css";

/** One's own account: change the password, and personal API tokens for scripts and Kestra clients. */
export default function AccountPage() {
  const me = useMe();
  if (!me) return <Loading what="your account" />;
  if (openMode(me) || me.id === null) {
    return (
      <section>
        <h1>Account</h1>
        <p className="muted">{openMode(me) ? "Authentication is off on this instance: there is no account to manage."
          : `${me.username} is the configured basic-auth user; it has no password or tokens to manage here.`}</p>
      </section>
    );
  }
  return (
    <section>
      <div className="page-head"><h1>Account: {me.username}</h1></div>
      {me.kind === "USER" && <PasswordForm />}
      <h2>Personal API tokens</h2>
      <p className="muted">Send one as <code>Authorization: Bearer &lt;token&gt;</code>; it acts with your permissions.</p>
      <Tokens owner={{ self: true }} label={me.username} />
    </section>
  );
}

function PasswordForm() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [done, setDone] = useState(false);
  const mismatch = again !== "" && again !== next;
  const save = useMutation({
    mutationFn: () => changeOwnPassword(current, next),
    // Changing the password ends every session, this one included: sign in again with the new one.
    onSuccess: () => { setDone(true); setTimeout(() => window.location.assign(loginUrl(here("/account"))), 1500); },
  });
  return (
    <form className="card kv-form" aria-label="Change password" onSubmit={(e) => { e.preventDefault(); if (!mismatch) save.mutate(); }}>
      <h2>Change password</h2>
      <label className="field">Current password<input type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} /></label>
      <label className="field">New password<input type="password" autoComplete="new-password" required minLength={8} value={next} onChange={(e) => setNext(e.target.value)} /></label>
      <label className="field">New password again<input type="password" autoComplete="new-password" required minLength={8} value={again} onChange={(e) => setAgain(e.target.value)} aria-invalid={mismatch} /></label>
      {mismatch && <p className="field-error">The two new passwords differ.</p>}
      {save.isError && <ErrorMessage error={save.error} />}
      {done && <p role="status" className="ok">Password changed. Sign in again with the new one.</p>}
      <div className="dialog-actions"><button type="submit" className="primary" disabled={save.isPending || mismatch}>Change password</button></div>
    </form>
  );
}
