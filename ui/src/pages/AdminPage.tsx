import { NavLink, useParams } from "react-router";
import { Bindings } from "../components/admin/Bindings";
import { Groups } from "../components/admin/Groups";
import { Integrations } from "../components/admin/Integrations";
import { Roles } from "../components/admin/Roles";
import { ServiceAccounts } from "../components/admin/ServiceAccounts";
import { Tenants } from "../components/admin/Tenants";
import { Users } from "../components/admin/Users";
import { Loading, NotFound } from "../components/Messages";
import { adminSections, useMe } from "../lib/permissions";
import "../pages.css";

/** Access management: users, groups, roles, bindings, service accounts, SCIM integrations and tenants, each tab shown only
 * to those who may list it (on the whole instance); inside, each action only to those who may do it. */
export default function AdminPage() {
  const { section = "" } = useParams();
  const me = useMe();
  if (!me) return <Loading what="your permissions" />;
  const sections = adminSections(me);
  const current = sections.find((s) => s.path === section);
  if (!current) {
    return sections.length === 0 ? (
      <section>
        <h1>Administration</h1>
        <p role="alert" className="error">You may not manage users, groups, roles, bindings, service accounts, SCIM integrations or tenants.</p>
      </section>
    ) : <NotFound />;
  }
  return (
    <section>
      <div className="page-head"><h1>Administration</h1></div>
      <nav className="tabs" aria-label="Administration sections">
        {sections.map((s) => <NavLink key={s.path} to={`/admin/${s.path}`}>{s.label}</NavLink>)}
      </nav>
      {current.path === "users" && <Users me={me} />}
      {current.path === "groups" && <Groups me={me} />}
      {current.path === "roles" && <Roles me={me} />}
      {current.path === "bindings" && <Bindings me={me} />}
      {current.path === "service-accounts" && <ServiceAccounts me={me} />}
      {current.path === "integrations" && <Integrations me={me} />}
      {current.path === "tenants" && <Tenants me={me} />}
    </section>
  );
}
