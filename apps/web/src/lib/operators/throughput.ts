import { plural } from "./format-stats";

export interface ThroughputMinute {
  /** Start of the minute, ISO 8601. */
  minute: string;
  completed: number;
  failed: number;
}

export interface ThroughputSummary {
  completed: number;
  failed: number;
  /** The most runs finished in one minute (at least 1, so bars scale against something). */
  scaleMax: number;
  /** The busiest minute, if any run finished. */
  peak: { minute: string; total: number } | null;
}

export function summariseThroughput(minutes: readonly ThroughputMinute[]): ThroughputSummary {
  let completed = 0;
  let failed = 0;
  let peak: ThroughputSummary["peak"] = null;
  for (const minute of minutes) {
    completed += minute.completed;
    failed += minute.failed;
    const total = minute.completed + minute.failed;
    if (total > 0 && (!peak || total > peak.total)) peak = { minute: minute.minute, total };
  }
  return { completed, failed, scaleMax: Math.max(1, peak?.total ?? 0), peak };
}

/** The chart in words, for screen readers and for anyone who prefers numbers. */
export function describeThroughput(summary: ThroughputSummary, formatTime: (iso: string) => string): string {
  if (!summary.peak) return "No run finished in the last hour.";
  return (
    `In the last hour, ${plural(summary.completed, "run")} completed and ${plural(summary.failed, "run")} failed. ` +
    `Busiest minute: ${formatTime(summary.peak.minute)}, with ${plural(summary.peak.total, "run")} finished.`
  );
}
