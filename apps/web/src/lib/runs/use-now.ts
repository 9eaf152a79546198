import { useEffect, useState } from "react";

/**
 * The current time, renewed every `intervalMs` while `ticking`: one clock for
 * a whole table's relative times and running durations, not one per row.
 */
export function useNow(intervalMs: number, ticking = true): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!ticking) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs, ticking]);
  return now;
}
