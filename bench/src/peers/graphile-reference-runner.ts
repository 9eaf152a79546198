/**
 * raw graphile-worker as the latency references run it: a pg pool of 22, concurrency 20 and
 * a 200 ms poll interval (Conveyor's bench worker's settings), LISTEN for new jobs, no crontab,
 * no logs. One place, so the in-process reference and the one behind HTTP run alike.
 */
import pg from "pg";
import { Logger, run, type Runner, type TaskList } from "graphile-worker";

export async function startReferenceRunner(databaseUrl: string, taskList: TaskList): Promise<{ pool: pg.Pool; runner: Runner }> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 22 });
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  const runner = await run({ pgPool: pool, concurrency: 20, noHandleSignals: true, pollInterval: 200, crontab: "", logger: new Logger(() => () => {}), taskList });
  return { pool, runner };
}
