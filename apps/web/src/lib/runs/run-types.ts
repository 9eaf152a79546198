import type { RouterOutputs } from "@conveyor/api";

/** A run as `jobs.list` sends it (dates are ISO strings on the wire). */
export type RunSummary = RouterOutputs["jobs"]["list"]["items"][number];
/** One page of `jobs.list`. */
export type RunsPageData = RouterOutputs["jobs"]["list"];
/** A whole run as `jobs.get` sends it, with its input and output. */
export type RunWithData = RouterOutputs["jobs"]["get"];
export type RunStatus = RunSummary["status"];
/** One event of `jobs.events`, as the client receives it (the stream yields `{ id, data }`, tracked for resuming). */
export type RunEvent = RouterOutputs["jobs"]["events"] extends AsyncIterable<{ data: infer E }> ? E : never;
export type RunEventKind = RunEvent["kind"];

/** Every status, in the order a run usually goes through them (for the status filter). */
export const runStatuses = ["queued", "scheduled", "running", "completed", "failed", "cancelled"] as const satisfies readonly RunStatus[];
// A status the API adds without being listed above fails to compile here.
export const everyStatusListed: [Exclude<RunStatus, (typeof runStatuses)[number]>] extends [never] ? true : never = true;

/** Statuses a run does not leave by itself. */
export function isFinished(status: RunStatus): boolean {
  return status === "completed" || status === "failed" || status === "cancelled";
}

/** A waiting or running run can be cancelled; a failed or cancelled one can be run again (as the API allows). */
export function canCancel(status: RunStatus): boolean {
  return status === "queued" || status === "scheduled" || status === "running";
}
export function canRetry(status: RunStatus): boolean {
  return status === "failed" || status === "cancelled";
}
