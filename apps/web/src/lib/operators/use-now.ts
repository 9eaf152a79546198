import { useEffect, useState } from "react";

/**
 * The current time, updated every `intervalMs`: a clock for ages and
 * countdowns ("3 s ago", "in 12 min"), computed in the page. It asks the
 * server nothing.
 */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
