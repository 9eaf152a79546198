import { z } from "zod";

/**
 * How long a failed run waits before its next attempt. Declared in the job
 * contract (see `JobDefaults.backoff`); plain data, so `jobs.types` can show it.
 *
 * - `exponential`: `delayMs * factor^(attempt - 1)`, capped at `maxDelayMs`
 *   (delayMs 5000, factor 5 gives 5 s, 25 s, 125 s).
 * - `fixed`: `delayMs` after every failed attempt.
 *
 * `jitter` (0 to 1) takes up to that fraction off each delay at random, so
 * runs that failed together do not all retry in the same instant.
 */
export const backoffSchema = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("exponential"),
      delayMs: z.number().int().min(0).max(24 * 60 * 60 * 1000),
      factor: z.number().min(1).max(100).default(2),
      maxDelayMs: z.number().int().min(0).max(7 * 24 * 60 * 60 * 1000).default(60 * 60 * 1000),
      jitter: z.number().min(0).max(1).default(0),
    })
    .strict(),
  z
    .object({
      type: z.literal("fixed"),
      delayMs: z.number().int().min(0).max(7 * 24 * 60 * 60 * 1000),
      jitter: z.number().min(0).max(1).default(0),
    })
    .strict(),
]);
export type Backoff = z.output<typeof backoffSchema>;
export type BackoffConfig = z.input<typeof backoffSchema>;

/** The seeds' Bull setup: 5 s, 25 s, 125 s. */
export const defaultBackoff: Backoff = { type: "exponential", delayMs: 5_000, factor: 5, maxDelayMs: 60 * 60 * 1000, jitter: 0 };

/** The wait after failed attempt number `attempt` (1 for the first). `random` is injectable for tests. */
export function backoffDelayMs(backoff: Backoff, attempt: number, random: () => number = Math.random): number {
  const base =
    backoff.type === "fixed"
      ? backoff.delayMs
      : Math.min(backoff.maxDelayMs, backoff.delayMs * backoff.factor ** Math.max(0, attempt - 1));
  return Math.round(base * (1 - backoff.jitter * random()));
}
