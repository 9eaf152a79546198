import { z } from "zod";
import type { FieldIssue } from "./issues";

/** What the form does with a refused submit. */
export type SubmitFailure =
  | { kind: "invalid"; issues: FieldIssue[] }
  | { kind: "rate-limited"; message: string; retryAfterSeconds: number | null }
  | { kind: "other"; message: string };

/** The part of a tRPC client error the form reads (the API's errorFormatter adds `issues` and `retryAfterSeconds`). */
const errorShape = z.object({
  message: z.string(),
  data: z
    .object({
      code: z.string().optional(),
      issues: z.array(z.object({ path: z.string(), message: z.string() })).nullish(),
      retryAfterSeconds: z.number().nullish(),
    })
    .nullish(),
});

/** Read a failed `jobs.submit`: field issues for BAD_REQUEST, the wait for TOO_MANY_REQUESTS, else the message. */
export function readSubmitFailure(error: unknown): SubmitFailure {
  const parsed = errorShape.safeParse(error);
  if (!parsed.success) return { kind: "other", message: error instanceof Error ? error.message : "the submit failed" };
  const { message, data } = parsed.data;
  if (data?.code === "BAD_REQUEST") {
    // A BAD_REQUEST without issues (it should not happen) still names its problem, above the form.
    return { kind: "invalid", issues: data.issues?.length ? data.issues : [{ path: "", message }] };
  }
  if (data?.code === "TOO_MANY_REQUESTS") return { kind: "rate-limited", message, retryAfterSeconds: data.retryAfterSeconds ?? null };
  return { kind: "other", message };
}
