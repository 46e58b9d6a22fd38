import { useQuery } from "@tanstack/react-query";
import { getMeInMain, type Me } from "../api/iam";
import { CURRENT, uiPath } from "../lib/tenant";

/** What a tenant out of the caller's reach shows instead of its pages: that it does not exist, or that the
 * caller has no role there, with the tenants the caller may open. */
export function NoAccess({ me, missing }: { me: Me | undefined; missing: boolean }) {
  // An unknown tenant has no answer about the caller: ask in `main` which tenants it may open.
  const fallback = useQuery({ queryKey: ["me", "main"], queryFn: getMeInMain, enabled: !me, retry: false });
  const tenants = (me ?? fallback.data)?.tenants ?? [];
  return (
    <section aria-labelledby="no-access">
      <h1 id="no-access">{missing ? `No tenant “${CURRENT.tenant}”` : `No access to tenant “${CURRENT.tenant}”`}</h1>
      <p>
        {missing
          ? "There is no tenant with this id (it may have been deleted)."
          : "Your account has no role in this tenant. An administrator can bind you to a role here."}
      </p>
      {tenants.length > 0 && (
        <>
          <h2>Tenants you may open</h2>
          <ul>{tenants.map((t) => <li key={t.id}><a href={uiPath(t.id)}>{t.name}</a></li>)}</ul>
        </>
      )}
    </section>
  );
}
