import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCClientError } from "@trpc/client";
import { createToken } from "@conveyor/db";
import { createTestDatabase } from "@conveyor/db/testing";
import { createClient } from "./client";
import { startApiServer, type ApiServer } from "./server";
import { issueTestToken } from "./testing/tokens";

const { db, url: databaseUrl } = await createTestDatabase();
let api: ApiServer;

beforeAll(async () => {
  // Renew leases often, so a revocation reaches open streams within the test's patience.
  api = await startApiServer({ databaseUrl, port: 0, leaseRenewalMs: 300 });
}, 60_000);
afterAll(() => api?.close());

describe("revoking a token", () => {
  for (const subscriptions of ["sse", "websocket"] as const) {
    it(`ends its open ${subscriptions} stream with UNAUTHORIZED, and refuses its next request`, async () => {
      const admin = createClient({ url: api.url, token: await issueTestToken(db, { ownerId: "root", role: "admin" }) });
      const { token, info } = await createToken(db, { ownerId: "alice" });
      const alice = createClient({ url: api.url, token, subscriptions });

      const { id } = await alice.jobs.submit.mutate({ type: "document.analyze", input: { text: "Nobody executes this run." } });
      const ended = new Promise<unknown>((resolve) => {
        let opened = false;
        alice.jobs.events.subscribe(
          { id },
          {
            onData: () => {
              // The run's history arrives first: the stream is open, so revoke now.
              if (!opened) void admin.tokens.revoke.mutate({ id: info.id });
              opened = true;
            },
            onError: resolve,
          },
        );
      });

      const error = await ended;
      expect(error).toBeInstanceOf(TRPCClientError);
      expect(error).toMatchObject({ data: { code: "UNAUTHORIZED" }, message: "the token was revoked or has expired" });
      // Callers never get the server's stack trace.
      expect(error).not.toHaveProperty(["data", "stack"]);
      await expect(alice.jobs.get.query({ id })).rejects.toMatchObject({
        data: { code: "UNAUTHORIZED" },
        message: expect.stringMatching(/^token cvy_.{4}… was revoked at /),
      });
    });
  }
});
