import { formatClock } from "./format-time";
import type { RunEvent, RunEventKind } from "./run-types";

/** One line of a run's timeline: an event, or a stretch of progress reports in a row. */
export interface TimelineEntry {
  /** The first event's id. */
  key: string;
  kind: RunEventKind;
  at: string;
  /** Since the line above it; null for the first. */
  sincePreviousMs: number | null;
  title: string;
  detail: string | null;
  level: "info" | "warn" | "error";
  /** Progress reports folded into this line. */
  reports: number;
}

/** `status=400 · durationMs=12`: a log line's fields, short and on one line. */
export function formatFields(fields: Record<string, unknown> | null): string | null {
  if (!fields) return null;
  const parts = Object.entries(fields).map(([name, value]) => `${name}=${typeof value === "string" ? value : JSON.stringify(value)}`);
  return parts.length > 0 ? parts.join(" · ") : null;
}

function attemptText(event: RunEvent): string {
  return event.attempt === undefined ? "" : ` (attempt ${event.attempt})`;
}

/** What an event means, for a person reading the timeline. */
function describe(event: RunEvent, queuedBefore: boolean): Pick<TimelineEntry, "title" | "detail" | "level"> {
  switch (event.kind) {
    case "queued":
      return { title: queuedBefore ? "Queued again (retry)" : "Queued", detail: null, level: "info" };
    case "started":
      return { title: `Attempt ${event.attempt ?? "?"} started`, detail: null, level: "info" };
    case "progress":
      return { title: `Progress ${Math.round(event.progress?.percent ?? 0)}%`, detail: event.progress?.message ?? null, level: "info" };
    case "log":
      return {
        title: event.log?.message ?? "",
        detail: formatFields(event.log?.fields ?? null),
        level: event.log?.level === "warn" ? "warn" : "info",
      };
    case "retrying":
      return {
        title: `Attempt ${event.attempt ?? "?"} failed; retrying${event.nextAttemptAt ? ` at ${formatClock(event.nextAttemptAt)}` : ""}`,
        detail: event.error ?? null,
        level: "warn",
      };
    case "failed":
      return { title: `Failed${attemptText(event)}`, detail: event.error ?? null, level: "error" };
    case "completed":
      return { title: "Completed", detail: null, level: "info" };
    case "cancelled":
      return { title: "Cancelled", detail: null, level: "warn" };
  }
}

/**
 * The run's events as timeline lines: progress reports in a row fold into
 * one line ("Progress 12% → 64%", with the last message), since a long run
 * reports many times a second. `logsOnly` keeps the handler's `ctx.log`
 * lines alone. Each line says how long after the line above it came.
 */
export function buildTimeline(events: readonly RunEvent[], { logsOnly = false } = {}): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  let queuedBefore = false;
  let firstPercent = 0;
  for (const event of events) {
    const wasQueuedBefore = queuedBefore;
    if (event.kind === "queued") queuedBefore = true;
    if (logsOnly && event.kind !== "log") continue;
    const last = entries.at(-1);
    if (event.kind === "progress" && last?.kind === "progress") {
      const percent = Math.round(event.progress?.percent ?? 0);
      last.title = `Progress ${firstPercent}% → ${percent}%`;
      last.detail = event.progress?.message ?? last.detail;
      last.reports += 1;
      continue;
    }
    if (event.kind === "progress") firstPercent = Math.round(event.progress?.percent ?? 0);
    entries.push({
      key: event.id,
      kind: event.kind,
      at: event.at,
      sincePreviousMs: last ? new Date(event.at).getTime() - new Date(last.at).getTime() : null,
      reports: 1,
      ...describe(event, wasQueuedBefore),
    });
  }
  return entries;
}

/** Each attempt's error, from the events that carry one (retrying, failed), by attempt. */
export interface AttemptError {
  key: string;
  attempt: number | null;
  at: string;
  error: string;
  /** The attempt ended the run (no retry followed it). */
  final: boolean;
}

export function attemptErrors(events: readonly RunEvent[]): AttemptError[] {
  return events
    .filter((event) => (event.kind === "retrying" || event.kind === "failed") && event.error !== undefined)
    .map((event) => ({ key: event.id, attempt: event.attempt ?? null, at: event.at, error: event.error ?? "", final: event.kind === "failed" }))
    .sort((a, b) => (a.attempt ?? 0) - (b.attempt ?? 0) || a.at.localeCompare(b.at));
}
