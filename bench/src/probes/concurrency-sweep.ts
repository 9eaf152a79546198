/**
 * Conveyor's best-setting drain against raw graphile-worker at several concurrencies (local queue
 * 500), alternating in one session: what a higher concurrency buys, and what it costs the worker's
 * RSS. `pnpm --filter @conveyor/bench probe:sweep` (SWEEP_CONCURRENCY, a comma-separated list;
 * SWEEP_RUNS; SWEEP_ROUNDS; DATABASE_URL is the server). Prints one JSON line per drain pair.
 */
import { z } from "zod";
import { conveyorProcessing, graphileProcessing } from "../scenarios/processing";

const settings = z
  .object({
    DATABASE_URL: z.string().default("postgres://postgres@127.0.0.1:5432/postgres"),
    SWEEP_CONCURRENCY: z
      .string()
      .default("100,500")
      .transform((list) => list.split(",").map(Number))
      .pipe(z.array(z.number().int().min(1))),
    SWEEP_RUNS: z.coerce.number().int().min(1_000).default(20_000),
    SWEEP_ROUNDS: z.coerce.number().int().min(1).default(2),
  })
  .parse(process.env);

const localQueue = 500;
for (let round = 1; round <= settings.SWEEP_ROUNDS; round++) {
  for (const concurrency of settings.SWEEP_CONCURRENCY) {
    const conveyor = await conveyorProcessing(settings.DATABASE_URL, settings.SWEEP_RUNS, concurrency, localQueue);
    const graphile = await graphileProcessing(settings.DATABASE_URL, settings.SWEEP_RUNS, concurrency, localQueue);
    console.log(
      JSON.stringify({
        round,
        concurrency,
        conveyorRunsPerSecond: Math.round(conveyor.perSecond),
        workerRssMb: conveyor.workerRssMb,
        cpuMicrosPerRun: conveyor.cpuMicrosPerRun,
        graphileJobsPerSecond: Math.round(graphile.perSecond),
        ratio: conveyor.perSecond / graphile.perSecond,
      }),
    );
  }
}
