import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "@conveyor/db/testing";
import { startApiServer, type ApiServer } from "./server";
import { issueTestToken } from "./testing/tokens";

/**
 * Plain queries and mutations are answered beside tRPC's handler
 * (procedure-calls.ts). Whoever calls the API must not be able to tell: each
 * request below is sent twice, once as is and once with a `trpc-accept`
 * header, which leaves it to tRPC's own handler, and both answers must be the
 * same (status, content type, Retry-After, body, with run ids masked).
 */

const { db, url: databaseUrl } = await createTestDatabase();
let api: ApiServer;
let smallApi: ApiServer;
let admin = "";
/** Two submissions, then refused by its rate limit. */
let limited = "";

beforeAll(async () => {
  [api, smallApi] = await Promise.all([startApiServer({ databaseUrl, port: 0 }), startApiServer({ databaseUrl, port: 0, maxBodyBytes: 1024 })]);
  admin = await issueTestToken(db, { ownerId: "alice", role: "admin" });
  limited = await issueTestToken(db, { ownerId: "bob", role: "user", submitRate: 0.001, submitBurst: 2 });
}, 60_000);

afterAll(async () => {
  await Promise.all([api?.close(), smallApi?.close()]);
});

interface Exchange {
  method: "GET" | "POST";
  /** Path and query after /trpc/, e.g. "jobs.get?input=…" */
  target: string;
  body?: string;
  /** Who calls: a token issued in beforeAll, or a literal Authorization token. */
  token?: "admin" | "limited" | { literal: string };
  server?: () => ApiServer;
}

interface Answer {
  status: number;
  contentType: string | null;
  retryAfter: string | null;
  body: unknown;
}

const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

async function answer(exchange: Exchange, viaTrpcHandler: boolean): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (exchange.body !== undefined) headers["content-type"] = "application/json";
  if (exchange.token) headers.authorization = `Bearer ${exchange.token === "admin" ? admin : exchange.token === "limited" ? limited : exchange.token.literal}`;
  if (viaTrpcHandler) headers["trpc-accept"] = "application/json";
  const response = await fetch(`${(exchange.server?.() ?? api).url}/${exchange.target}`, { method: exchange.method, headers, body: exchange.body });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    retryAfter: response.headers.get("retry-after"),
    body: JSON.parse(text.replace(uuid, "<id>")),
  };
}

const input = (value: unknown) => encodeURIComponent(JSON.stringify(value));
const webhook = { type: "webhook.deliver", input: { url: "http://127.0.0.1:9/hook", payload: { n: 1 } } };
const missingRun = "00000000-0000-4000-8000-000000000000";

const webhookBatch: Exchange = { method: "POST", target: "jobs.submit,jobs.submit?batch=1", body: JSON.stringify({ 0: webhook, 1: webhook }), token: "admin" };

const exchanges: Record<string, Exchange> = {
  "a public query": { method: "GET", target: "health" },
  "a query with input": { method: "GET", target: `jobs.list?input=${input({ limit: 5 })}`, token: "admin" },
  "a submission": { method: "POST", target: "jobs.submit", body: JSON.stringify(webhook), token: "admin" },
  "a batch of two submissions": webhookBatch,
  "a batch of a good and a bad submission (207)": {
    method: "POST",
    target: "jobs.submit,jobs.submit?batch=1",
    body: JSON.stringify({ 0: webhook, 1: { type: "webhook.deliver", input: { url: "ftp://x" } } }),
    token: "admin",
  },
  "a batch of queries, one without a token": { method: "GET", target: `health,jobs.get?batch=1&input=${input({ 1: { id: missingRun } })}` },
  "a run that does not exist": { method: "GET", target: `jobs.get?input=${input({ id: missingRun })}`, token: "admin" },
  "no token": { method: "POST", target: "jobs.submit", body: JSON.stringify(webhook) },
  "a malformed token": { method: "POST", target: "jobs.submit", body: JSON.stringify(webhook), token: { literal: "not-a-token" } },
  "a field the contract refuses": { method: "POST", target: "jobs.submit", body: JSON.stringify({ ...webhook, input: { url: "x", payload: {} } }), token: "admin" },
  "a body that is not JSON": { method: "POST", target: "jobs.submit", body: "{not json", token: "admin" },
  "a ?input= that is not JSON": { method: "GET", target: "jobs.list?input=%7Bnot", token: "admin" },
  "a batch whose inputs are not an object": { method: "POST", target: "jobs.submit?batch=1", body: "[1]", token: "admin" },
  "an empty body": { method: "POST", target: "jobs.submit", body: "", token: "admin" },
  "a body over the server's limit": { method: "POST", target: "jobs.submit", body: JSON.stringify({ ...webhook, input: { ...webhook.input, payload: "x".repeat(4096) } }), token: "admin", server: () => smallApi },
};

describe("queries and mutations answered beside tRPC's handler", () => {
  for (const [name, exchange] of Object.entries(exchanges)) {
    it(`answers ${name} as tRPC's handler does`, async () => {
      const fast = await answer(exchange, false);
      const trpc = await answer(exchange, true);
      expect(fast).toEqual(trpc);
    });
  }

  it("refuses a submission over the token's rate limit with 429 and Retry-After, as tRPC's handler does", async () => {
    const submit: Exchange = { method: "POST", target: "jobs.submit", body: JSON.stringify(webhook), token: "limited" };
    // The burst of two: one through each path.
    expect((await answer(submit, false)).status).toBe(200);
    expect((await answer(submit, true)).status).toBe(200);
    const fast = await answer(submit, false);
    const trpc = await answer(submit, true);
    expect(fast.status).toBe(429);
    expect(fast.retryAfter).toMatch(/^\d+$/);
    expect(fast).toEqual(trpc);
  });

  it("writes exactly the runs that were accepted, and answers each with its own id", async () => {
    const runCount = async () => Number((await db.$client<{ n: string }[]>`select count(*) as n from conveyor.runs`)[0]?.n);
    const before = await runCount();
    const { status, body } = await answer({ ...webhookBatch, target: "jobs.submit,jobs.submit,jobs.submit?batch=1", body: JSON.stringify({ 0: webhook, 1: { type: "nope", input: {} }, 2: webhook }) }, false);
    expect(status).toBe(207);
    expect(body).toMatchObject([{ result: { data: { id: "<id>" } } }, { error: { data: { code: "BAD_REQUEST" } } }, { result: { data: { id: "<id>" } } }]);
    expect(await runCount()).toBe(before + 2);
  });
});
