import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { lazy, Suspense, useState } from "react";
import { Link, NavLink, useLocation, useParams, useSearchParams } from "react-router";
import { flowGraph, getFlow, searchExecutions } from "../api/client";
import { ExecuteDialog } from "../components/ExecuteDialog";
import { FlowActions } from "../components/FlowActions";
import { ErrorMessage, Loading, NotFound } from "../components/Messages";
import { Pager } from "../components/Pager";
import { duration, formatDate, StateBadge } from "../components/StateBadge";
import { Topology } from "../components/Topology";
import { Markdown } from "../components/Markdown";
import { canIn, useMe } from "../lib/permissions";

const FlowEditor = lazy(() => import("../components/FlowEditor"));
const RevisionsTab = lazy(() => import("../editor/RevisionsTab"));
const FlowTriggers = lazy(() => import("../components/FlowTriggers"));
const FlowLogs = lazy(() => import("../components/FlowLogs"));

const TABS = [
  { path: "", label: "Overview" },
  { path: "editor", label: "Editor" },
  { path: "executions", label: "Executions" },
  { path: "revisions", label: "Revisions" },
  { path: "triggers", label: "Triggers" },
  { path: "logs", label: "Logs" },
];

export function FlowPage() {
  const { namespace = "", flowId = "", tab = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const flow = useQuery({ queryKey: ["flow", namespace, flowId], queryFn: () => getFlow(namespace, flowId) });
  const base = `/flows/${namespace}/${flowId}`;
  const me = useMe();
  const executing = params.get("execute") === "1";
  const setExecuting = (open: boolean) => {
    const next = new URLSearchParams(params);
    if (open) next.set("execute", "1");
    else next.delete("execute");
    setParams(next, { replace: !open });
  };
  if (!TABS.some((t) => t.path === tab)) return <NotFound />;

  return (
    <section>
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link to="/flows">Flows</Link> / <Link to={`/flows?namespace=${encodeURIComponent(namespace)}`}>{namespace}</Link> /
      </nav>
      <div className="page-head">
        <h1>{flowId}</h1>
        {flow.data && <span className="muted">revision {flow.data.revision}</span>}
        {flow.data?.disabled && <span className="badge">disabled</span>}
        {canIn(me, "EXECUTION:CREATE", namespace) && (
          <button type="button" className="primary" onClick={() => setExecuting(true)} disabled={!flow.data || flow.data.disabled}>Execute</button>
        )}
      </div>
      {flow.data && <FlowActions flow={flow.data} />}
      <nav className="tabs" aria-label="Flow views">
        {TABS.map((t) => (
          <NavLink key={t.path} to={t.path ? `${base}/${t.path}` : base} end>{t.label}</NavLink>
        ))}
      </nav>
      {flow.isError && <ErrorMessage error={flow.error} />}
      {flow.isPending && <Loading what="the flow" />}
      {flow.data && tab === "" && <Overview namespace={namespace} flowId={flowId} description={flow.data.description} />}
      {flow.data && tab === "editor" && (
        <EditorTab key={`${namespace}/${flowId}`} source={flow.data.source ?? ""} namespace={namespace} flowId={flowId} />
      )}
      {tab === "executions" && <Executions namespace={namespace} flowId={flowId} />}
      {tab === "logs" && (
        <Suspense fallback={<Loading what="the logs" />}>
          <FlowLogs namespace={namespace} flowId={flowId} />
        </Suspense>
      )}
      {tab === "triggers" && (
        <Suspense fallback={<Loading what="the triggers" />}>
          <FlowTriggers namespace={namespace} flowId={flowId} />
        </Suspense>
      )}
      {tab === "revisions" && (
        <Suspense fallback={<Loading what="the revisions" />}>
          <RevisionsTab namespace={namespace} flowId={flowId} />
        </Suspense>
      )}
      {flow.data && executing && <ExecuteDialog flow={flow.data} onClose={() => setExecuting(false)} />}
    </section>
  );
}

function Overview({ namespace, flowId, description }: { namespace: string; flowId: string; description?: string | null }) {
  const graph = useQuery({ queryKey: ["graph", namespace, flowId], queryFn: () => flowGraph(namespace, flowId) });
  return (
    <>
      {description && <Markdown text={description} />}
      <h2>Topology</h2>
      {graph.isError && <ErrorMessage error={graph.error} />}
      {graph.data && <Topology graph={graph.data} />}
      <h2>Recent executions</h2>
      <Executions namespace={namespace} flowId={flowId} size={5} />
    </>
  );
}

function EditorTab({ source, namespace, flowId }: { source: string; namespace: string; flowId: string }) {
  const location = useLocation();
  const created = (location.state as { created?: number } | null)?.created;
  return (
    <Suspense fallback={<Loading what="the editor" />}>
      {created && <p role="status" className="ok">Created revision {created}</p>}
      <FlowEditor initialSource={source} flow={{ namespace, id: flowId }} onSaved={() => undefined} />
    </Suspense>
  );
}

function Executions({ namespace, flowId, size = 20 }: { namespace: string; flowId: string; size?: number }) {
  const [page, setPage] = useState(1);
  const executions = useQuery({
    queryKey: ["executions", namespace, flowId, page, size],
    queryFn: () => searchExecutions(namespace, flowId, page, size),
    placeholderData: keepPreviousData,
    refetchInterval: 5_000,
  });
  if (executions.isError) return <ErrorMessage error={executions.error} />;
  if (!executions.data) return <Loading what="executions" />;
  if (executions.data.total === 0) return <p className="muted">No execution yet.</p>;
  return (
    <>
      <table className="list">
        <caption className="sr-only">Executions of {namespace}.{flowId}</caption>
        <thead>
          <tr><th scope="col">Execution</th><th scope="col">State</th><th scope="col">Started</th><th scope="col">Duration</th><th scope="col">Revision</th></tr>
        </thead>
        <tbody>
          {executions.data.results.map((x) => (
            <tr key={x.id}>
              <td><Link to={`/executions/${x.id}`}><code>{x.id}</code></Link></td>
              <td><StateBadge state={x.state.current} /></td>
              <td>{formatDate(x.state.startDate)}</td>
              <td>{duration(x.state.startDate, x.state.endDate)}</td>
              <td>{x.flowRevision}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {executions.data.total > size && <Pager page={page} size={size} total={executions.data.total} onPage={setPage} />}
    </>
  );
}
