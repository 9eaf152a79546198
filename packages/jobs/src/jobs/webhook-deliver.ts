import { z } from "zod";
import { defineJob } from "../define-job";

export const webhookDeliver = defineJob({
  name: "webhook.deliver",
  description: "POST a JSON payload to a URL; retried on network errors and 5xx answers.",
  input: z.object({
    url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }),
    payload: z.json(),
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, "header names are letters, digits and '-'"), z.string()).default({}),
    /** Give up on one delivery attempt after this long (default: 10 s). */
    requestTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  }),
  output: z.object({
    status: z.number().int(),
    durationMs: z.number().nonnegative(),
    /** The first 2 KB of the answer, for the run's detail page. */
    responseBody: z.string(),
  }),
  progress: z.object({}),
  // The default queue, not a named one: a named queue runs one delivery at a time, and deliveries
  // to different receivers should not wait for each other.
  defaults: { timeoutMs: 2 * 60 * 1000, maxAttempts: 5, backoff: { type: "exponential", delayMs: 5_000, factor: 5, jitter: 0.2 } },
  label: (input) => `POST ${input.url}`,
});
