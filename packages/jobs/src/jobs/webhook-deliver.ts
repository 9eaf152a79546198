import { z } from "zod";
import { defineJob } from "../define-job";
import { sensitive } from "../sensitive";

export const webhookDeliver = defineJob({
  name: "webhook.deliver",
  description: "POST a JSON payload to a URL; retried on network errors and 5xx answers.",
  // Strict: a misspelt field is refused by name, not silently ignored.
  input: z.strictObject({
    url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).describe("Where the payload is POSTed"),
    payload: z.json().describe("Sent as the request body"),
    /**
     * Extra request headers. They are stored and shown with the run like the
     * rest of the input, so they must not carry credentials: give `secret` and
     * let the receiver check the signature instead.
     */
    headers: z
      .record(z.string().regex(/^[A-Za-z0-9-]+$/, "header names are letters, digits and '-'"), z.string())
      .default({})
      .describe("Extra request headers (shown with the run: no credentials here)"),
    /** Give up on one delivery attempt after this long (default: 10 s). */
    requestTimeoutMs: z.number().int().min(100).max(120_000).default(10_000).describe("Give up on one attempt after this many ms"),
    /**
     * A signing secret shared with the receiver (sensitive: kept apart from the
     * stored input and never shown). When given, each delivery carries
     * `x-conveyor-timestamp: <unix seconds>` and
     * `x-conveyor-signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>", keyed by the secret>`,
     * where body is the exact request body. As with Stripe's scheme, the
     * receiver recomputes the HMAC over the raw body, compares in constant
     * time, and rejects old timestamps so a captured request cannot be replayed.
     */
    secret: sensitive(z.string().min(16, "at least 16 characters").max(256))
      .optional()
      .describe("Signing secret shared with the receiver (never shown again)"),
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
