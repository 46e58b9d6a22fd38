// The flow page's Logs tab: log lines of every execution of the flow, newest first, paged by the server,
// filtered by level and text (both in the URL).
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { searchLogs } from "../api/operations";
import { attemptLabel } from "../lib/attempt";
import { ErrorMessage, Loading } from "./Messages";
import { Pager } from "./Pager";
import { When } from "./When";
import "../pages.css";

const LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"];
const SIZE = 50;

export default function FlowLogs({ namespace, flowId }: { namespace: string; flowId: string }) {
  const [params, setParams] = useSearchParams();
  const level = LEVELS.includes(params.get("level") ?? "") ? params.get("level")! : "";
  const q = params.get("q") ?? "";
  const page = Math.max(1, Number(params.get("page")) || 1);
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);
  const set = (changes: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    setParams(next, { replace: true });
  };
  const logs = useQuery({
    queryKey: ["flow-logs", namespace, flowId, level, q, page],
    queryFn: () => searchLogs({ namespace, flowId, q, minLevel: level || undefined, page, size: SIZE }),
    placeholderData: keepPreviousData,
    refetchInterval: 10_000,
  });
  return (
    <>
      <form className="filters" role="search" aria-label="Filter logs" onSubmit={(e) => { e.preventDefault(); set({ q: text, page: "" }); }}>
        <label>Message contains<input type="search" value={text} onChange={(e) => setText(e.target.value)} onBlur={() => text !== q && set({ q: text, page: "" })} /></label>
        <label>
          Minimum level
          <select value={level} onChange={(e) => set({ level: e.target.value, page: "" })}>
            <option value="">All levels</option>
            {LEVELS.map((l) => <option key={l} value={l}>{l}</option>)}
          </select>
        </label>
      </form>
      {logs.isError && <ErrorMessage error={logs.error} />}
      {logs.isPending && <Loading what="logs" />}
      {logs.data && (
        <>
          <div className="logs" role="log" aria-label={`Logs of ${namespace}.${flowId}`}>
            {logs.data.total === 0 && <p className="muted">No log line.</p>}
            {logs.data.results.map((line, i) => (
              <div key={i} className={`log log-${line.level.toLowerCase()}`}>
                <When iso={line.timestamp} />
                <span className="level">{line.level}</span>
                <span className="task"><Link to={`/executions/${line.executionId}/logs`}>{line.taskId ?? line.executionId.slice(0, 8)}</Link>{line.taskId && line.attemptNumber != null ? ` ${attemptLabel(line.attemptNumber)}` : ""}</span>
                <span className="message">{line.message}</span>
              </div>
            ))}
          </div>
          <Pager page={page} size={SIZE} total={logs.data.total} onPage={(p) => set({ page: p > 1 ? String(p) : "" })} />
        </>
      )}
    </>
  );
}
