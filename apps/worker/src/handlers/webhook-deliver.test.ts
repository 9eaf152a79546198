import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookDeliver, type JobContext, type JobInput } from "@conveyor/jobs";
import { deliverWebhook } from "./webhook-deliver";

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

const secret = "whsec-0123456789abcdef";
const received: Received[] = [];
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      response.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the receiver is not listening on TCP");
  url = `http://127.0.0.1:${address.port}/hook`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** The context a worker gives a handler, reduced to what a single delivery uses. */
function contextFor(runId: string, lines: string[]): JobContext<typeof webhookDeliver> {
  return {
    runId,
    attempt: 1,
    maxAttempts: 1,
    signal: new AbortController().signal,
    progress: () => {},
    log: (message, fields) => lines.push(`${message} ${JSON.stringify(fields ?? {})}`),
    children: {
      submit: () => Promise.reject(new Error("a webhook delivery starts no child runs")),
      waitAll: () => Promise.resolve([]),
    },
  };
}

/** Deliver as the worker would: with the input as the contract parses it. */
async function deliver(input: Omit<JobInput<typeof webhookDeliver>, "url">) {
  const lines: string[] = [];
  const output = await deliverWebhook(webhookDeliver.input.parse({ url, ...input }), contextFor("run-1", lines));
  const request = received.at(-1);
  if (!request) throw new Error("the receiver got no request");
  return { output, request, lines };
}

/** What a receiver does: recompute the HMAC over "<timestamp>.<raw body>" and compare in constant time. */
function verifies(request: Received, key: string): boolean {
  const timestamp = request.headers["x-conveyor-timestamp"];
  const signature = request.headers["x-conveyor-signature"];
  if (typeof timestamp !== "string" || typeof signature !== "string") return false;
  const expected = Buffer.from(`sha256=${createHmac("sha256", key).update(`${timestamp}.${request.body}`).digest("hex")}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe("deliverWebhook", () => {
  it("signs the exact body with the secret, so the receiver can verify it", async () => {
    const before = Math.floor(Date.now() / 1000);
    const { output, request, lines } = await deliver({
      payload: { event: "invoice.paid", amount: 42, note: "naïve ✓" },
      // A caller cannot forge the signature through its own headers, whatever their case.
      headers: { "X-Conveyor-Signature": "sha256=forged", "x-tenant": "acme" },
      secret,
    });

    expect(output).toMatchObject({ status: 200, responseBody: "ok" });
    expect(JSON.parse(request.body)).toEqual({ event: "invoice.paid", amount: 42, note: "naïve ✓" });
    expect(request.headers["x-tenant"]).toBe("acme");
    expect(request.headers["x-conveyor-signature"]).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifies(request, secret)).toBe(true);
    expect(verifies(request, "another-secret-of-16+")).toBe(false);
    expect(verifies({ ...request, body: request.body.replace("42", "43") }, secret)).toBe(false);
    const timestamp = Number(request.headers["x-conveyor-timestamp"]);
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(lines.join("\n")).not.toContain(secret);
  });

  it("sends no signature without a secret", async () => {
    const { output, request } = await deliver({ payload: [1, 2, 3] });

    expect(output.status).toBe(200);
    expect(request.body).toBe("[1,2,3]");
    expect(request.headers).not.toHaveProperty("x-conveyor-signature");
    expect(request.headers).not.toHaveProperty("x-conveyor-timestamp");
    expect(request.headers["x-conveyor-run-id"]).toBe("run-1");
  });
});
