// The apps catalogue: the apps one may open, as cards; and, for those who build apps, every app with its editor.
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { appCatalog, listApps } from "../api/apps";
import { ErrorMessage, Loading } from "../components/Messages";
import { canSomewhere, useMe } from "../lib/permissions";
import "../pages.css";
import { formatDate } from "../components/StateBadge";

export default function AppsPage() {
  const me = useMe();
  const builder = canSomewhere(me, "APP:LIST");
  const catalogue = useQuery({ queryKey: ["app-catalog"], queryFn: appCatalog });
  const all = useQuery({ queryKey: ["apps"], queryFn: listApps, enabled: builder });
  return (
    <section>
      <div className="page-head">
        <h1>Apps</h1>
        {canSomewhere(me, "APP:CREATE") && <Link className="button" to="/apps/new">New app</Link>}
      </div>
      <p className="muted">Forms over flows: anyone allowed can start a flow, approve a paused one and read its results,
        without seeing YAML.</p>
      <h2>Catalogue</h2>
      {catalogue.isError && <ErrorMessage error={catalogue.error} />}
      {catalogue.isPending && <Loading what="apps" />}
      {catalogue.data && catalogue.data.length === 0 && <p className="muted">No app to open yet.</p>}
      {catalogue.data && catalogue.data.length > 0 && (
        <ul className="cards-list app-catalogue">
          {catalogue.data.map((a) => (
            <li key={a.id}>
              <a href={a.url}><strong>{a.displayName}</strong></a>
              {a.description && <p className="muted">{a.description}</p>}
              <p className="muted">{a.namespace} · {a.access.type === "PUBLIC" ? "public" : "private"}
                {a.tags.length > 0 ? ` · ${a.tags.join(", ")}` : ""}</p>
            </li>
          ))}
        </ul>
      )}
      {builder && (
        <>
          <h2>All apps</h2>
          {all.isError && <ErrorMessage error={all.error} />}
          {all.data && all.data.total === 0 && <p className="muted">No app yet.</p>}
          {all.data && all.data.total > 0 && (
            <table className="list">
              <caption className="sr-only">All apps</caption>
              <thead><tr><th scope="col">App</th><th scope="col">Namespace</th><th scope="col">Flow</th>
                <th scope="col">Access</th><th scope="col">Updated</th></tr></thead>
              <tbody>
                {all.data.results.map((a) => (
                  <tr key={a.id}>
                    <td><Link to={`/apps/${encodeURIComponent(a.id)}/edit`}>{a.displayName}</Link>{a.disabled ? " (disabled)" : ""}</td>
                    <td>{a.namespace}</td>
                    <td><Link to={`/flows/${encodeURIComponent(a.namespace)}/${encodeURIComponent(a.flowId)}`}>{a.flowId}</Link></td>
                    <td>{a.access.type}</td>
                    <td>{a.updated ? formatDate(a.updated) : ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
