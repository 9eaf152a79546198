import { afterAll, beforeAll, expect, it } from "vitest";
import { TRPCClientError } from "@trpc/client";
import { createTestDatabase, waitFor } from "@conveyor/db/testing";
import { createClient } from "./client";
import { startApiServer, type ApiServer } from "./server";
import { issueTestToken } from "./testing/tokens";
import type { AppRouter } from "./root";

/**
 * With no worker running (none folds counts then), the API folds the count
 * changes its submissions append, and the unfinished-runs cap it reads
 * stays exact across the folding.
 */

const { db, url: databaseUrl } = await createTestDatabase();
let api: ApiServer;

beforeAll(async () => {
  api = await startApiServer({ databaseUrl, port: 0 });
}, 60_000);

afterAll(async () => {
  await api?.close();
});

const unfolded = async () => Number((await db.$client<{ n: string }[]>`select count(*) as n from conveyor.run_count_changes`)[0]?.n);
const folded = async (ownerId: string) =>
  Number((await db.$client<{ n: string | null }[]>`select sum(n) as n from conveyor.run_counts where owner_id = ${ownerId} and status = 'queued'`)[0]?.n ?? 0);

it("folds its submissions' count changes by itself, and the cap holds before and after", async () => {
  const client = createClient({ url: api.url, token: await issueTestToken(db, { ownerId: "erin", maxUnfinishedRuns: 4 }) });
  const submit = (n: number) => client.jobs.submit.mutate({ type: "webhook.deliver", input: { url: "http://127.0.0.1:9/", payload: { n } } });
  for (let n = 0; n < 3; n++) await submit(n);
  await waitFor("the API to fold the count changes", async () => ((await unfolded()) === 0 && (await folded("erin")) === 3 ? true : undefined), { timeoutMs: 10_000 });

  await submit(3);
  const refused = await submit(4).then(
    () => null,
    (error: unknown) => error,
  );
  expect(refused).toBeInstanceOf(TRPCClientError);
  expect((refused as TRPCClientError<AppRouter>).data?.code).toBe("TOO_MANY_REQUESTS");
  await waitFor("the fourth run's change to be folded too", async () => ((await unfolded()) === 0 && (await folded("erin")) === 4 ? true : undefined), { timeoutMs: 10_000 });
});
