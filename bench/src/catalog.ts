import { z } from "zod";
import { defineCatalog, defineHandlers, defineJob } from "@conveyor/jobs";

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes on one machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** A run that does nothing but report when its handler started. */
export const noop = defineJob({
  name: "bench.noop",
  description: "Does nothing; reports when its handler started",
  input: z.object({ n: z.number().int() }),
  output: z.object({ startedAt: z.number() }),
  progress: z.object({}),
  defaults: { maxAttempts: 1 },
});

/** A run that reports progress at a steady rate, each report carrying the time it was sent. */
export const ticker = defineJob({
  name: "bench.ticker",
  description: "Reports progress `ticks` times every `intervalMs`",
  input: z.object({ ticks: z.number().int().min(1), intervalMs: z.number().int().min(1) }),
  output: z.object({ ticks: z.number().int() }),
  progress: z.object({ sentAt: z.number() }),
  defaults: { maxAttempts: 1 },
});

export const benchCatalog = defineCatalog([noop, ticker]);

export const benchHandlers = defineHandlers(benchCatalog, {
  "bench.noop": async () => ({ startedAt: nowMs() }),
  "bench.ticker": async (input, ctx) => {
    for (let tick = 1; tick <= input.ticks; tick++) {
      await new Promise((resolve) => setTimeout(resolve, input.intervalMs));
      ctx.progress((tick / input.ticks) * 100, `tick ${tick}`, { sentAt: nowMs() });
    }
    return { ticks: input.ticks };
  },
});
