import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { useSearchParams } from "react-router";
import { filteredLogs, logsDownloadUrl, logsFollowUrl, type LogQuery } from "../../api/operations";
import { TERMINAL_STATES, type Execution, type LogEntry } from "../../api/models";
import { ErrorMessage, Loading } from "../Messages";
import { formatTime } from "../../lib/settings";
import { attemptLabel } from "../../lib/attempt";

const LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"];

/** Follow a running execution's log lines over Server-Sent Events; the server sends every line from the
 * first, so a reconnect replays them: lines are kept by event id. */
function useLogStream(url: string, active: boolean): LogEntry[] | null {
  const [lines, setLines] = useState<LogEntry[] | null>(null);
  useEffect(() => {
    if (!active || typeof EventSource === "undefined") {
      setLines(null);
      return;
    }
    const seen = new Map<string, LogEntry>();
    const source = new EventSource(url);
    let pending: number | null = null;
    source.onmessage = (event: MessageEvent<string>) => {
      seen.set(event.lastEventId || String(seen.size), JSON.parse(event.data) as LogEntry);
      pending ??= window.setTimeout(() => {
        pending = null;
        setLines([...seen.values()]);
      }, 100);
    };
    setLines([]);
    return () => {
      source.close();
      if (pending !== null) clearTimeout(pending);
    };
  }, [url, active]);
  return lines;
}

/** Log lines per task run and attempt, by minimum level (all in the URL), followed live, downloadable. */
export function LogsPanel({ execution }: { execution: Execution }) {
  const [params, setParams] = useSearchParams();
  const query: LogQuery = {
    minLevel: LEVELS.includes(params.get("level") ?? "") ? params.get("level")! : undefined,
    taskRunId: params.get("taskRunId") ?? undefined,
    attempt: params.get("attempt") !== null && params.get("taskRunId") ? Number(params.get("attempt")) : undefined,
  };
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    if (key === "taskRunId") next.delete("attempt");
    setParams(next, { replace: true });
  };
  const running = !TERMINAL_STATES.has(execution.state.current);
  const [follow, setFollow] = useState(true);
  const streamed = useLogStream(logsFollowUrl(execution.id, query), running && follow);
  const logs = useQuery({
    queryKey: ["logs", execution.id, query],
    queryFn: () => filteredLogs(execution.id, query),
    enabled: streamed === null,
  });
  const lines = streamed ?? logs.data;
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (running && follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines, running, follow]);
  const run = execution.taskRunList.find((r) => r.id === query.taskRunId);
  // `show=error` (the failure summary's link): bring the first ERROR line into view and give it the focus.
  const focusIndex = params.get("show") === "error" && lines ? lines.findIndex((l) => l.level === "ERROR") : -1;
  const focused = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (focusIndex < 0 || !focused.current) return;
    focused.current.scrollIntoView({ block: "center" });
    focused.current.focus();
  }, [focusIndex]);

  return (
    <>
      <div className="filters" role="group" aria-label="Log filters">
        <label>
          Task run
          <select value={query.taskRunId ?? ""} onChange={(e) => set("taskRunId", e.target.value)}>
            <option value="">All task runs</option>
            {execution.taskRunList.map((r) => (
              <option key={r.id} value={r.id}>{r.taskId}{r.value != null ? ` [${r.value}]` : ""}</option>
            ))}
          </select>
        </label>
        {run && run.attempts.length > 1 && (
          <label>
            Attempt
            <select value={query.attempt ?? ""} onChange={(e) => set("attempt", e.target.value)}>
              <option value="">All attempts</option>
              {run.attempts.map((_, i) => <option key={i} value={i}>Attempt {i + 1}</option>)}
            </select>
          </label>
        )}
        <label>
          Minimum level
          <select value={query.minLevel ?? ""} onChange={(e) => set("level", e.target.value)}>
            <option value="">All levels</option>
            {LEVELS.map((l) => <option key={l} value={l}>{l}</option>)}
          </select>
        </label>
        {running && (
          <label className="check">
            <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow live
          </label>
        )}
        <a className="button" href={logsDownloadUrl(execution.id, query)} download>Download</a>
      </div>
      {logs.isError && <ErrorMessage error={logs.error} />}
      {!lines && <Loading what="logs" />}
      {lines && (
        <div className="logs" role="log" aria-label="Logs" aria-live={running ? "polite" : "off"} ref={box}>
          {lines.length === 0 && <p className="muted">No log line{query.minLevel || query.taskRunId ? " matches" : " yet"}.</p>}
          {lines.map((line, i) => (
            <div key={i} className={`log log-${line.level.toLowerCase()}${i === focusIndex ? " log-focus" : ""}`}
              {...(i === focusIndex ? { ref: focused, tabIndex: -1 } : {})}>
              <time dateTime={line.timestamp}>{formatTime(line.timestamp)}</time>
              <span className="level">{line.level}</span>
              <span className="task">{line.taskId ?? ""}{line.taskId && line.attemptNumber != null ? ` ${attemptLabel(line.attemptNumber)}` : ""}</span>
              <span className="message">{line.message}</span>
            </div>
          ))}
        </div>
      )}
    </>
  );
}
