/** The graphile-worker HTTP submit peer, in its own process: POST → `addJob` over a pg pool. */
import pg from "pg";
import { makeWorkerUtils } from "graphile-worker";
import { serveJsonSubmits } from "./json-endpoint";

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error("DATABASE_URL is required");
// The same pool size as the API's query pool (CONVEYOR_API_DB_POOL's default).
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
pool.on("error", () => {});
pool.on("connect", (client) => client.on("error", () => {}));
const utils = await makeWorkerUtils({ pgPool: pool });
const { url } = await serveJsonSubmits(Number(process.env.PORT ?? 0), async (type, input) => {
  const job = await utils.addJob(type, input);
  return job.id;
});
process.stdout.write(`peer listening ${url}\n`);
process.once("SIGTERM", () => void Promise.resolve(utils.release()).finally(() => pool.end().finally(() => process.exit(0))));
