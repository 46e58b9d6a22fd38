import { lazy, Suspense, useEffect } from "react";
import { NavLink, Route, Routes, useLocation } from "react-router";
import { titleFor } from "./lib/titles";
import { saveTheme, useTheme, type Theme } from "./lib/theme";
import { FlowsPage } from "./pages/FlowsPage";
import { LandingPage } from "./pages/LandingPage";
import { NotFound } from "./components/Messages";

// The editor is the heaviest view: load it only when asked for.
const NewFlowPage = lazy(() => import("./pages/NewFlowPage"));
// The operator's pages, each its own chunk.
const FlowPage = lazy(() => import("./pages/FlowPage").then((m) => ({ default: m.FlowPage })));
const DashboardPage = lazy(() => import("./pages/DashboardPage"));
const ExecutionsPage = lazy(() => import("./pages/ExecutionsPage"));
const ExecutionPage = lazy(() => import("./pages/ExecutionPage"));
const NamespacesPage = lazy(() => import("./pages/NamespacesPage"));
const NamespacePage = lazy(() => import("./pages/NamespacePage"));
const BlueprintsPage = lazy(() => import("./pages/BlueprintsPage"));
const BlueprintPage = lazy(() => import("./pages/BlueprintPage"));
const PluginsPage = lazy(() => import("./pages/PluginsPage"));
const SettingsPage = lazy(() => import("./pages/SettingsPage"));
const AuditPage = lazy(() => import("./pages/AuditPage"));

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
  return (
    <>
      <a className="skip" href="#main">Skip to content</a>
      <header className="topbar">
        <NavLink to="/" className="brand" end>Legato</NavLink>
        <nav aria-label="Main">
          <NavLink to="/" end>Home</NavLink>
          <NavLink to="/dashboard">Dashboard</NavLink>
          <NavLink to="/flows">Flows</NavLink>
          <NavLink to="/executions" end>Executions</NavLink>
          <NavLink to="/namespaces">Namespaces</NavLink>
          <NavLink to="/blueprints">Blueprints</NavLink>
          <NavLink to="/plugins">Plugins</NavLink>
          <NavLink to="/audit">Audit log</NavLink>
          <NavLink to="/settings">Settings</NavLink>
        </nav>
        <ThemeToggle />
      </header>
      <main id="main">
        <Suspense fallback={<p role="status">Loading…</p>}>
          <Routes>
            <Route path="/" element={<LandingPage />} />
            <Route path="/flows" element={<FlowsPage />} />
            <Route path="/flows/new" element={<NewFlowPage />} />
            <Route path="/flows/:namespace/:flowId/:tab?" element={<FlowPage />} />
            <Route path="/dashboard" element={<DashboardPage />} />
            <Route path="/executions" element={<ExecutionsPage />} />
            <Route path="/executions/:executionId/:tab?" element={<ExecutionPage />} />
            <Route path="/namespaces" element={<NamespacesPage />} />
            <Route path="/namespaces/:namespace/:tab?" element={<NamespacePage />} />
            <Route path="/blueprints" element={<BlueprintsPage />} />
            <Route path="/blueprints/:blueprintId" element={<BlueprintPage />} />
            <Route path="/plugins/:cls?" element={<PluginsPage />} />
            <Route path="/audit" element={<AuditPage />} />
            <Route path="/settings" element={<SettingsPage />} />
            <Route path="*" element={<NotFound />} />
          </Routes>
        </Suspense>
      </main>
    </>
  );
}
