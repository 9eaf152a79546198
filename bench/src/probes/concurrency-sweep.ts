/** One-off sweep: Conveyor and raw graphile-worker drains at several concurrencies, alternating. */
import { conveyorProcessing, graphileProcessing } from "../scenarios/processing";
const url = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const levels = (process.env.SWEEP ?? "100,500").split(",").map(Number);
for (let round = 1; round <= 2; round++) {
  for (const c of levels) {
    const conveyor = await conveyorProcessing(url, 20_000, c, 500);
    const graphile = await graphileProcessing(url, 20_000, c, 500);
    console.log(JSON.stringify({ round, c, conveyor: Math.round(conveyor.perSecond), rss: conveyor.workerRssMb, cpu: conveyor.cpuMicrosPerRun, graphile: Math.round(graphile.perSecond) }));
  }
}
