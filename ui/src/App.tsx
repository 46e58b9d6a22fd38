import { lazy, Suspense, useState } from "react";
import { NavLink, Route, Routes } from "react-router";
import { initialTheme, saveTheme, type Theme } from "./lib/theme";
import { ExecutionPage } from "./pages/ExecutionPage";
import { FlowPage } from "./pages/FlowPage";
import { FlowsPage } from "./pages/FlowsPage";
import { LandingPage } from "./pages/LandingPage";
import { NotFound } from "./components/Messages";

// The editor is the heaviest view: load it only when asked for.
const NewFlowPage = lazy(() => import("./pages/NewFlowPage"));

function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>(initialTheme);
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
        setTheme(next);
      }}
    >
      {dark ? "☾ Dark" : "☀ Light"}
    </button>
  );
}

export function App() {
  return (
    <>
      <a className="skip" href="#main">Skip to content</a>
      <header className="topbar">
        <NavLink to="/" className="brand" end>Legato</NavLink>
        <nav aria-label="Main">
          <NavLink to="/" end>Home</NavLink>
          <NavLink to="/flows">Flows</NavLink>
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
            <Route path="/executions/:executionId/:tab?" element={<ExecutionPage />} />
            <Route path="*" element={<NotFound />} />
          </Routes>
        </Suspense>
      </main>
    </>
  );
}
