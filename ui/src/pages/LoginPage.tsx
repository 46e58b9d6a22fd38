import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useSearchParams } from "react-router";
import { ApiError } from "../api/client";
import { signIn, signInMethods, whoAmI } from "../api/iam";
import { safeNext } from "../lib/permissions";
import "../pages.css";

/** The sign-in page: a name and password (Legato's own or the LDAP directory's), or single sign-on when an
 * OpenID Connect provider is configured. `?next=` is where to go afterwards; `?error=` is why single sign-on
 * failed. The page reloads into the app once signed in, so everything is read again as the new user. */
export default function LoginPage() {
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const methods = useQuery({ queryKey: ["auth-providers"], queryFn: signInMethods, staleTime: Infinity });
  // Without authentication (open mode) there is nobody to sign in as: go straight on.
  const open = useQuery({ queryKey: ["me", "login"], queryFn: whoAmI, retry: false }).data?.kind === "ANONYMOUS";
  useEffect(() => { if (open) window.location.replace(next); }, [open, next]);
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [failure, setFailure] = useState<string | null>(params.get("error"));
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setBusy(true);
    setFailure(null);
    try {
      await signIn(username.trim(), password);
      window.location.assign(next);
    } catch (error) {
      setFailure(error instanceof ApiError && error.status === 401
        ? "Wrong user name or password (or the account is locked or disabled)."
        : error instanceof Error ? error.message : String(error));
      setPassword("");
      setBusy(false);
    }
  };
  const oidc = methods.data?.oidc;
  return (
    <main id="main" className="login">
      <form className="card login-card" aria-label="Sign in" onSubmit={(e) => { e.preventDefault(); void submit(); }}>
        <h1>Sign in to Legato</h1>
        {failure && <p role="alert" className="error">{failure}</p>}
        <label className="field">User name
          <input name="username" autoComplete="username" autoFocus required value={username} onChange={(e) => setUsername(e.target.value)} />
        </label>
        <label className="field">Password
          <input name="password" type="password" autoComplete="current-password" required value={password}
            onChange={(e) => setPassword(e.target.value)} />
        </label>
        {methods.data?.ldap && <p className="muted">Your directory (LDAP) password works here too.</p>}
        <button type="submit" className="primary" disabled={busy}>{busy ? "Signing in…" : "Sign in"}</button>
        {oidc && (
          <>
            <p className="login-or muted">or</p>
            <a className="button" href={`${oidc.loginUrl}?next=${encodeURIComponent(next)}`}>Sign in with {oidc.name}</a>
          </>
        )}
      </form>
    </main>
  );
}
