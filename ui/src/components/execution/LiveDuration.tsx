import { useEffect, useState } from "react";
import { duration } from "../StateBadge";

/** Re-renders every `every` ms while `active`: for figures that move with the clock. */
export function useTicking(active: boolean, every = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return undefined;
    const timer = window.setInterval(() => setNow(Date.now()), every);
    return () => window.clearInterval(timer);
  }, [active, every]);
  return now;
}

/** How long something has run: counts up every second while it runs, fixed once it ended. */
export function LiveDuration({ start, end, running }: { start: string | null | undefined; end: string | null | undefined; running: boolean }) {
  useTicking(running && !!start);
  return <span className="duration" data-live={running || undefined}>{duration(start, running ? null : end)}</span>;
}
