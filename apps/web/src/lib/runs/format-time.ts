/** A span of time as people read it: "850 ms", "12.4 s", "4 min 05 s", "2 h 03 min". */
export function formatDuration(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const seconds = Math.floor(ms / 1_000);
  if (seconds < 3_600) return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, "0")} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 24 * 60) return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
  return `${Math.floor(minutes / 1_440)} d ${Math.floor((minutes % 1_440) / 60)} h`;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", fractionalSecondDigits: 3 });

/** A moment in the reader's time zone, with the date. */
export function formatDateTime(iso: string): string {
  return dateTime.format(new Date(iso));
}

/** A moment's time of day to the millisecond, for timelines. */
export function formatClock(iso: string): string {
  return clock.format(new Date(iso));
}

/** "just now", "42 s ago", "5 min ago", "3 h ago"; older moments as a date and time. For the future: "in 5 min". */
export function formatRelative(iso: string, now: number): string {
  const delta = now - new Date(iso).getTime();
  const ahead = delta < 0;
  const seconds = Math.round(Math.abs(delta) / 1_000);
  const span =
    seconds < 60 ? `${seconds} s` : seconds < 3_600 ? `${Math.floor(seconds / 60)} min` : seconds < 86_400 ? `${Math.floor(seconds / 3_600)} h` : null;
  if (span === null) return formatDateTime(iso);
  if (seconds < 5) return ahead ? "in a moment" : "just now";
  return ahead ? `in ${span}` : `${span} ago`;
}

/** How long a run has run: until it finished, or until now while it runs; null before it started. */
export function runDurationMs(run: { status: string; startedAt: string | null; finishedAt: string | null }, now: number): number | null {
  if (!run.startedAt) return null;
  const start = new Date(run.startedAt).getTime();
  if (run.finishedAt) return new Date(run.finishedAt).getTime() - start;
  return run.status === "running" ? now - start : null;
}
