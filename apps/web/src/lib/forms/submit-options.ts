import type { Priority as ApiPriority } from "@conveyor/jobs";
import type { FieldIssue } from "./issues";
import { localDateTimeToIso } from "./local-date-time";

/** The priorities `jobs.submit` accepts, lowest first. */
export const priorities = ["low", "normal", "high", "critical"] as const satisfies readonly ApiPriority[];
export type Priority = (typeof priorities)[number];

/** The options section as its controls hold it; "" means "the job type's default". */
export interface OptionValues {
  priority: "" | Priority;
  /** A datetime-local value (the user's wall clock). */
  runAt: string;
  idempotencyKey: string;
  maxAttempts: string;
  timeoutMs: string;
}

export const emptyOptions: OptionValues = { priority: "", runAt: "", idempotencyKey: "", maxAttempts: "", timeoutMs: "" };

export const optionKeys = ["priority", "runAt", "idempotencyKey", "maxAttempts", "timeoutMs"] as const satisfies ReadonlyArray<keyof OptionValues>;

/** The paths of the options' issues, as the server names them. */
export const optionPaths = {
  priority: "options.priority",
  runAt: "options.runAt",
  idempotencyKey: "options.idempotencyKey",
  maxAttempts: "options.maxAttempts",
  timeoutMs: "options.timeoutMs",
} as const satisfies Record<keyof OptionValues, string>;

export interface SubmitOptions {
  priority?: Priority;
  runAt?: string;
  idempotencyKey?: string;
  maxAttempts?: number;
  timeoutMs?: number;
}

export type BuiltOptions = { ok: true; options: SubmitOptions | undefined } | { ok: false; issues: FieldIssue[] };

/**
 * The `options` of a submit: only what the user set. Run-at is turned into
 * an instant here (the server cannot know the user's zone); the other rules
 * (key length, attempt range) are the server's to state.
 */
export function buildOptions(values: OptionValues): BuiltOptions {
  const options: SubmitOptions = {};
  const issues: FieldIssue[] = [];
  if (values.priority) options.priority = values.priority;
  if (values.runAt.trim()) {
    const runAt = localDateTimeToIso(values.runAt);
    if (runAt) options.runAt = runAt;
    else issues.push({ path: optionPaths.runAt, message: "enter a date and a time" });
  }
  // Sent as typed, even blank-looking: the server says what a key may be.
  if (values.idempotencyKey !== "") options.idempotencyKey = values.idempotencyKey;
  for (const key of ["maxAttempts", "timeoutMs"] as const) {
    const text = values[key].trim();
    if (!text) continue;
    const value = Number(text);
    if (Number.isFinite(value)) options[key] = value;
    else issues.push({ path: optionPaths[key], message: "must be a number" });
  }
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, options: Object.keys(options).length > 0 ? options : undefined };
}

export function isPriority(value: string): value is Priority {
  return priorities.some((priority) => priority === value);
}
