import { lazy, Suspense, useEffect } from "react";
import { NavLink, Route, Routes, useLocation } from "react-router";
import { titleFor } from "./lib/titles";
import { saveTheme, useTheme, type Theme } from "./lib/theme";
import { FlowsPage } from "./pages/FlowsPage";
import { LandingPage } from "./pages/LandingPage";
import { ErrorMessage, NotFound } from "./components/Messages";
import { MainNav } from "./components/MainNav";
import { UserMenu } from "./components/UserMenu";
import { adminSections, canOnInstance, mayOpen, openMode, useMeQuery } from "./lib/permissions";
import { isAppPage } from "./lib/apps";
import { CURRENT, uiPath } from "./lib/tenant";
import { NoAccess } from "./components/NoAccess";
import { TenantSwitcher } from "./components/TenantSwitcher";
import { ApiError } from "./api/client";

// The editor is the heaviest view: load it only when asked for.
const NewFlowPage = lazy(() => import("./pages/NewFlowPage"));
// The operator's pages, each its own chunk.
const FlowPage = lazy(() => import("./pages/FlowPage").then((m) => ({ default: m.FlowPage })));
const DashboardPage = lazy(() => import("./pages/DashboardPage"));
const DashboardsPage = lazy(() => import("./pages/DashboardsPage"));
const CustomDashboardPage = lazy(() => import("./pages/CustomDashboardPage"));
const ExecutionsPage = lazy(() => import("./pages/ExecutionsPage"));
const ExecutionPage = lazy(() => import("./pages/ExecutionPage"));
const TriggersPage = lazy(() => import("./pages/TriggersPage"));
const NamespacesPage = lazy(() => import("./pages/NamespacesPage"));
const NamespacePage = lazy(() => import("./pages/NamespacePage"));
const BlueprintsPage = lazy(() => import("./pages/BlueprintsPage"));
const BlueprintPage = lazy(() => import("./pages/BlueprintPage"));
const PluginsPage = lazy(() => import("./pages/PluginsPage"));
const SettingsPage = lazy(() => import("./pages/SettingsPage"));
const AuditPage = lazy(() => import("./pages/AuditPage"));
const LoginPage = lazy(() => import("./pages/LoginPage"));
const AccountPage = lazy(() => import("./pages/AccountPage"));
const AdminPage = lazy(() => import("./pages/AdminPage"));
const AppsPage = lazy(() => import("./pages/AppsPage"));
const AssetsPage = lazy(() => import("./pages/AssetsPage"));
const AssetPage = lazy(() => import("./pages/AssetPage"));
const AppEditorPage = lazy(() => import("./pages/AppEditorPage"));
// An app's page stands alone, without the rest of the UI around it: its visitors may never see the editor.
const AppPage = lazy(() => import("./pages/AppPage"));

function ThemeToggle() {
  const theme = useTheme();
  const dark = theme === "dark";
  return (
    <button
      type="button"
      className="ghost"
      aria-pressed={dark}
      aria-label="Dark mode"
      title={dark ? "Switch to light mode" : "Switch to dark mode"}
      onClick={() => {
        const next: Theme = dark ? "light" : "dark";
        saveTheme(next);
      }}
    >
      {dark ? "☾ Dark" : "☀ Light"}
    </button>
  );
}

export function App() {
  const { pathname } = useLocation();
  useEffect(() => { document.title = titleFor(pathname); }, [pathname]);
  // The sign-in page stands alone: it must not ask who is signed in (that answer is a 401 there).
  if (pathname === "/login") return <Suspense fallback={null}><LoginPage /></Suspense>;
  // An app's page is only ever addressed with its tenant (`/ui/<tenant>/apps/<id>`), as Kestra's are.
  if (CURRENT.explicit && isAppPage(pathname)) {
    return (
      <Suspense fallback={null}>
        <Routes><Route path="/apps/:appId" element={<AppPage />} /></Routes>
      </Suspense>
    );
  }
  return <Shell />;
}

function Shell() {
  const query = useMeQuery();
  const me = query.data;
  const { pathname } = useLocation();
  // The start page of an account that may not open `main` but may open other tenants goes to the first of them
  // (where signing in lands); any other page of `main` says it is out of reach.
  const elsewhere = me && !CURRENT.explicit && pathname === "/" && !mayOpen(me) ? me.tenants[0] : undefined;
  useEffect(() => { if (elsewhere) window.location.replace(uiPath(elsewhere.id)); }, [elsewhere]);
  const missing = query.error instanceof ApiError && query.error.status === 404;
  if (missing || (me && !mayOpen(me))) {
    return (
      <>
        <header className="topbar">
          <a href="/ui/" className="brand">Legato</a>
          <ThemeToggle />
          {me && !openMode(me) && <UserMenu me={me} />}
        </header>
        <main id="main">{elsewhere ? <p role="status">Loading…</p> : <NoAccess me={me} missing={missing} />}</main>
      </>
    );
  }
  // Open mode stays as it was: no access management to offer until someone runs `legato user create`.
  const admin = me && !openMode(me) ? adminSections(me) : [];
  return (
    <>
      <a className="skip" href="#main">Skip to content</a>
      <header className="topbar">
        <NavLink to="/" className="brand" end>Legato</NavLink>
        <MainNav>
          <NavLink to="/" end>Home</NavLink>
          <NavLink to="/dashboard">Dashboard</NavLink>
          <NavLink to="/dashboards">Dashboards</NavLink>
          <NavLink to="/flows">Flows</NavLink>
          <NavLink to="/apps">Apps</NavLink>
          <NavLink to="/assets">Assets</NavLink>
          <NavLink to="/executions" end>Executions</NavLink>
          <NavLink to="/triggers">Triggers</NavLink>
          <NavLink to="/namespaces">Namespaces</NavLink>
          <NavLink to="/blueprints">Blueprints</NavLink>
          <NavLink to="/plugins">Plugins</NavLink>
          {canOnInstance(me, "AUDITLOG:LIST") && <NavLink to="/audit">Audit log</NavLink>}
          {admin.length > 0 && <NavLink to={`/admin/${admin[0]!.path}`}>Administration</NavLink>}
          <NavLink to="/settings">Settings</NavLink>
        </MainNav>
        <ThemeToggle />
        {me && openMode(me) && <TenantSwitcher me={me} />}
        {me && !openMode(me) && <UserMenu me={me} />}
      </header>
      <main id="main">
        {query.isError && <ErrorMessage error={query.error} />}
        {!me && !query.isError ? <p role="status">Loading…</p> : <Suspense fallback={<p role="status">Loading…</p>}>
          <Routes>
            <Route path="/" element={<LandingPage />} />
            <Route path="/flows" element={<FlowsPage />} />
            <Route path="/flows/new" element={<NewFlowPage />} />
            <Route path="/flows/:namespace/:flowId/:tab?" element={<FlowPage />} />
            <Route path="/dashboard" element={<DashboardPage />} />
            <Route path="/dashboards" element={<DashboardsPage />} />
            <Route path="/dashboards/:dashboardId" element={<CustomDashboardPage />} />
            <Route path="/apps" element={<AppsPage />} />
            <Route path="/apps/new" element={<AppEditorPage />} />
            <Route path="/apps/:appId/edit" element={<AppEditorPage />} />
            <Route path="/assets" element={<AssetsPage />} />
            <Route path="/assets/:assetId" element={<AssetPage />} />
            <Route path="/executions" element={<ExecutionsPage />} />
            <Route path="/executions/:executionId/:tab?" element={<ExecutionPage />} />
            <Route path="/triggers" element={<TriggersPage />} />
            <Route path="/namespaces" element={<NamespacesPage />} />
            <Route path="/namespaces/:namespace/:tab?" element={<NamespacePage />} />
            <Route path="/blueprints" element={<BlueprintsPage />} />
            <Route path="/blueprints/:blueprintId" element={<BlueprintPage />} />
            <Route path="/plugins/:cls?" element={<PluginsPage />} />
            <Route path="/audit" element={<AuditPage />} />
            <Route path="/account" element={<AccountPage />} />
            <Route path="/admin/:section?" element={<AdminPage />} />
            <Route path="/settings" element={<SettingsPage />} />
            <Route path="*" element={<NotFound />} />
          </Routes>
        </Suspense>}
      </main>
    </>
  );
}
