import { useEffect, useRef, useState } from "react";
import { Link } from "react-router";
import { signOut, type Me } from "../api/iam";
import { TenantSwitcher, tenantName } from "./TenantSwitcher";

/** Who is signed in, in which tenant, with the other tenants they may open, their account page and sign-out. Not
 * shown while authentication is off. */
export function UserMenu({ me }: { me: Me }) {
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent | KeyboardEvent) => {
      if (e instanceof KeyboardEvent ? e.key === "Escape" : !box.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", close);
    document.addEventListener("keydown", close);
    return () => {
      document.removeEventListener("mousedown", close);
      document.removeEventListener("keydown", close);
    };
  }, [open]);
  const leave = async () => {
    try {
      await signOut();
    } finally {
      window.location.assign("/ui/login");
    }
  };
  return (
    <div className="user-menu" ref={box}>
      <button type="button" className="ghost" aria-haspopup="true" aria-expanded={open} aria-controls="user-menu"
        aria-label={`User menu: ${me.username}`} onClick={() => setOpen(!open)}>
        <span aria-hidden="true">◉</span> {me.username}
        {me.tenants.length > 1 && <span className="muted"> · {tenantName(me)}</span>}
      </button>
      {open && (
        <div id="user-menu" className="user-menu-panel card" role="group" aria-label="Account">
          <p>Signed in as <strong>{me.username}</strong>{me.owner ? <span className="muted"> · instance owner</span> : null}</p>
          <TenantSwitcher me={me} onPick={() => setOpen(false)} />
          {me.id !== null && <Link to="/account" onClick={() => setOpen(false)}>Password and API tokens</Link>}
          <button type="button" onClick={() => void leave()}>Sign out</button>
        </div>
      )}
    </div>
  );
}
