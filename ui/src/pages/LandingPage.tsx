import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense } from "react";
import { Link } from "react-router";
import { getFlow } from "../api/client";
import { Summary } from "../components/Summary";

const FIRST = { namespace: "tutorial", id: "hello" };
// The charts load after the welcome text, in a chunk of their own.
const HomeDashboard = lazy(() => import("../components/HomeDashboard"));

/** First visit: one click to the execute form of the tutorial `hello` flow. */
export function LandingPage() {
  const hello = useQuery({ queryKey: ["flow", FIRST.namespace, FIRST.id], queryFn: () => getFlow(FIRST.namespace, FIRST.id), retry: false });
  return (
    <section className="landing">
      <h1>Welcome to Legato</h1>
      <p className="lead">Declarative YAML flows, tasks in any language, every run visible here.</p>
      <div className="card first-run">
        <h2>Run your first flow</h2>
        {hello.isSuccess ? (
          <>
            <p>
              <code>{FIRST.namespace}.{FIRST.id}</code>: {hello.data.description ? <Summary text={hello.data.description} max={160} /> : "a flow that greets you."}
            </p>
            <ol>
              <li>Click <strong>Run your first flow</strong>.</li>
              <li>Type your name and press <strong>Execute</strong>.</li>
              <li>Watch the execution turn green and read its logs.</li>
            </ol>
            <Link className="button primary" to={`/flows/${FIRST.namespace}/${FIRST.id}?execute=1`}>
              Run your first flow
            </Link>
          </>
        ) : hello.isError ? (
          <p>
            The tutorial flows are not loaded. Start Legato with <code>make run</code> (it deploys <code>examples/</code>),
            or <Link to="/flows/new">write a flow</Link>.
          </p>
        ) : (
          <p role="status">Looking for the tutorial…</p>
        )}
      </div>
      <div className="card">
        <h2>Next</h2>
        <ul>
          <li><Link to="/flows?namespace=tutorial">Browse the tutorial flows</Link> (branching, loops, errors, approval…)</li>
          <li><Link to="/flows/new">Create a flow</Link> in the editor with live validation</li>
          <li><Link to="/blueprints">Pick a blueprint</Link>: ready-to-run example flows, searchable by tag</li>
          <li><Link to="/dashboard">Open the dashboard</Link>: executions per day, failures, what runs now</li>
          <li><Link to="/dashboards">Custom dashboards</Link>: charts of your own, written in Kestra&apos;s YAML</li>
        </ul>
      </div>
      <Suspense fallback={null}><HomeDashboard /></Suspense>
    </section>
  );
}
