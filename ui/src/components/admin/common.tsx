import { useQuery } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { listAccounts, listGroups, listRoles, type Account, type AccountKind, type Group, type Role } from "../../api/iam";
import type { Me } from "../../api/iam";
import { canOnInstance } from "../../lib/permissions";

/** The props of every administration section. */
export interface SectionProps {
  me: Me;
}

/** Accounts of a kind, when the caller may list them (else an empty list: ids are shown instead of names). */
export function useAccounts(me: Me, kind: AccountKind): Account[] {
  const permission = kind === "USER" ? "USER:LIST" : "SERVICE_ACCOUNT:LIST";
  return useQuery({ queryKey: ["accounts", kind], queryFn: () => listAccounts(kind), enabled: canOnInstance(me, permission) }).data ?? [];
}

export function useGroups(me: Me): Group[] {
  return useQuery({ queryKey: ["groups"], queryFn: listGroups, enabled: canOnInstance(me, "GROUP:LIST") }).data ?? [];
}

export function useRoles(me: Me): Role[] {
  return useQuery({ queryKey: ["roles"], queryFn: listRoles, enabled: canOnInstance(me, "ROLE:LIST") }).data ?? [];
}

/** A destructive action behind a second click ("Delete" → "Confirm delete" / "Keep"). */
export function ConfirmButton({ label, what, onConfirm, disabled }: { label: string; what: string; onConfirm: () => void; disabled?: boolean }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return <button type="button" aria-label={`${label} ${what}`} disabled={disabled} onClick={() => setAsking(true)}>{label}</button>;
  }
  return (
    <>
      <button type="button" className="danger" onClick={() => { setAsking(false); onConfirm(); }}>Confirm {label.toLowerCase()} {what}</button>{" "}
      <button type="button" onClick={() => setAsking(false)}>Keep</button>
    </>
  );
}

/** A create form that opens from a button, above the list. */
export function Creator({ label, children, open, setOpen }: { label: string; children: ReactNode; open: boolean; setOpen: (open: boolean) => void }) {
  return (
    <div className="actions">
      {!open && <button type="button" className="primary" onClick={() => setOpen(true)}>{label}</button>}
      {open && children}
    </div>
  );
}
