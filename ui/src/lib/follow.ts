// Live updates: an execution's snapshots over Server-Sent Events go straight into the query cache.
import { useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { followUrl } from "../api/client";
import type { Execution } from "../api/models";

/** While `active`, follow the execution `id`: each snapshot replaces the cached one and refreshes its logs.
 * The server ends the stream with an `end` event once the execution has ended; we close then, so that
 * EventSource does not reconnect. */
export function useFollowExecution(id: string, active: boolean): void {
  const client = useQueryClient();
  useEffect(() => {
    if (!active || typeof EventSource === "undefined") return;
    const source = new EventSource(followUrl(id));
    const apply = (event: MessageEvent<string>) => {
      const execution = JSON.parse(event.data) as Execution;
      client.setQueryData(["execution", id], execution);
      client.invalidateQueries({ queryKey: ["logs", id] });
    };
    source.addEventListener("progress", apply);
    source.addEventListener("end", (event) => {
      apply(event);
      source.close();
    });
    source.onerror = () => {
      // The stream broke (server restart, network): EventSource retries by itself; read once meanwhile.
      client.invalidateQueries({ queryKey: ["execution", id] });
    };
    return () => source.close();
  }, [id, active, client]);
}
