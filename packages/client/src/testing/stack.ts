import { afterAll } from "vitest";
import { createToken, type CreateTokenInput, type Database } from "@conveyor/db";
import { createTestDatabase } from "@conveyor/db/testing";
import { startApiServer, type ApiServer, type ApiServerOptions } from "@conveyor/api/server";
import { spawnWorker, type SpawnedWorker } from "@conveyor/worker/testing";

export interface TestStack {
  db: Database;
  databaseUrl: string;
  api: ApiServer;
  worker: SpawnedWorker;
  /** A token with generous limits (only tests about limits should meet them). */
  token(input: CreateTokenInput): Promise<string>;
}

/** The real thing for one test file: its own database, the API in-process and a spawned worker; stopped after the file. */
export async function startTestStack(apiOptions: Omit<ApiServerOptions, "databaseUrl" | "port"> = {}): Promise<TestStack> {
  const { db, url: databaseUrl } = await createTestDatabase();
  const [api, worker] = await Promise.all([
    startApiServer({ databaseUrl, port: 0, ...apiOptions }),
    spawnWorker(databaseUrl, { CONVEYOR_WORKER_CONCURRENCY: "4" }),
  ]);
  afterAll(async () => {
    await worker.stop();
    await api.close();
  });
  return {
    db,
    databaseUrl,
    api,
    worker,
    async token(input) {
      const { token } = await createToken(db, { submitRate: 100_000, submitBurst: 100_000, maxSubscriptions: 1_000, ...input });
      return token;
    },
  };
}

export { documentOf } from "@conveyor/api/testing/documents";
