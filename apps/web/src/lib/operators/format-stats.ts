/** A duration in the unit that reads best: "340 ms", "1.2 s", "42 s", "2 min 5 s", "1 h 3 min". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** A failure rate (0-1) as a percentage with at most one decimal; "—" when nothing finished. */
export function formatRate(rate: number | null): string {
  if (rate === null) return "—";
  return `${Number((rate * 100).toFixed(1))}%`;
}

/** "1 run" / "3 runs". */
export function plural(count: number, noun: string): string {
  return `${count.toLocaleString("en-US")} ${noun}${count === 1 ? "" : "s"}`;
}
