import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCClientError } from "@trpc/client";
import { createToken, revokeToken, systemViewer } from "@conveyor/db";
import { createTestDatabase } from "@conveyor/db/testing";
import { createClient } from "./client";
import { startApiServer, type ApiServer } from "./server";

const { db, url: databaseUrl } = await createTestDatabase();
let apis: [ApiServer, ApiServer];

beforeAll(async () => {
  apis = [await startApiServer({ databaseUrl, port: 0 }), await startApiServer({ databaseUrl, port: 0 })];
}, 60_000);
afterAll(async () => {
  for (const api of apis ?? []) await api?.close();
});

const whoami = (url: string, token: string) => createClient({ url, token }).tokens.whoami.query();

async function refusal(request: Promise<unknown>): Promise<TRPCClientError<never>> {
  const outcome = await request.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof TRPCClientError)) throw new Error(`expected a refusal, got ${String(outcome)}`);
  return outcome;
}

describe("tokens kept by an API process", () => {
  it("are refused by every process at once when revoked outside the API (as the CLI does)", async () => {
    const { token, info } = await createToken(db, { ownerId: "erin" });
    // Both processes have checked (and kept) the token.
    for (const api of apis) expect((await whoami(api.url, token)).ownerId).toBe("erin");
    await revokeToken(db, systemViewer, info.id);
    // The revocation is announced; well before the 5 s a kept token is trusted, both refuse it.
    const deadline = Date.now() + 2_000;
    for (const api of apis) {
      for (;;) {
        const outcome = await whoami(api.url, token).then(() => "accepted", (error: unknown) => error);
        if (outcome instanceof TRPCClientError) {
          expect(outcome.data?.code).toBe("UNAUTHORIZED");
          expect(outcome.message).toMatch(/was revoked at/);
          break;
        }
        if (Date.now() > deadline) throw new Error("the revoked token was still accepted after 2 s");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  });

  it("see a changed limit at once, and refuse an unknown token", async () => {
    const unknown = `cvy_${"A".repeat(43)}`;
    expect((await refusal(whoami(apis[0].url, unknown))).message).toBe("unknown token: it was never issued here");
    const { token, info } = await createToken(db, { ownerId: "finn" });
    expect((await whoami(apis[0].url, token)).ownerId).toBe("finn");
    await db.$client`update conveyor.api_tokens set max_subscriptions = 7 where id = ${info.id}`;
    const deadline = Date.now() + 2_000;
    while ((await whoami(apis[0].url, token)).limits.maxSubscriptions !== 7) {
      if (Date.now() > deadline) throw new Error("the new limit was not seen within 2 s");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
});
