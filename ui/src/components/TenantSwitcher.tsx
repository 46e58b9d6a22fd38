import type { Me } from "../api/iam";
import { uiPath } from "../lib/tenant";

/** The tenants the caller may open, the page's own marked: each link loads the UI again in that tenant (nothing
 * read in one tenant stays on screen in another). Shown only to those who can reach more than one. */
export function TenantSwitcher({ me, onPick }: { me: Me; onPick?: () => void }) {
  if (me.tenants.length < 2) return null;
  return (
    <nav className="tenant-switcher" aria-label="Tenants">
      <p className="muted">Tenant</p>
      <ul>
        {me.tenants.map((t) => (
          <li key={t.id}>
            <a href={uiPath(t.id)} aria-current={t.id === me.tenant ? "page" : undefined} onClick={onPick}>
              {t.name}{t.name !== t.id && <span className="muted"> ({t.id})</span>}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** The name of the page's tenant as the caller knows it. */
export const tenantName = (me: Me): string => me.tenants.find((t) => t.id === me.tenant)?.name ?? me.tenant;
