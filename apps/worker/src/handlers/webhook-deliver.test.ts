import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PermanentJobError, webhookDeliver, type JobContext, type JobInput } from "@conveyor/jobs";
import { allowedHostsSetting } from "../outbound/address-policy";
import { createWebhookDeliverer } from "./webhook-deliver";

/** As the tests and `pnpm dev` run the worker: the loopback receiver admitted by name. */
const deliverWebhook = createWebhookDeliverer({ allowedHosts: new Set(["127.0.0.1"]) });
/** As production runs it, with nothing admitted. */
const deliverByDefault = createWebhookDeliverer({ allowedHosts: new Set() });

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
      if (request.url === "/moved") response.writeHead(302, { location: `${url}?redirected` });
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
    // The same key on every attempt of the run, so a receiver can drop repeats; the attempt beside it.
    expect(request.headers["idempotency-key"]).toBe("run-1");
    expect(request.headers["x-conveyor-attempt"]).toBe("1");
  });

  it("does not follow a redirect: the answer is the redirect, and the target is never requested", async () => {
    const before = received.length;
    const attempt = deliverWebhook(webhookDeliver.input.parse({ url: url.replace("/hook", "/moved"), payload: {} }), contextFor("run-2", []));
    await expect(attempt).rejects.toThrow(new PermanentJobError("webhook answered 302 Found"));
    expect(received.slice(before).map((request) => request.body)).toEqual(["{}"]);
  });
});

describe("outbound requests to internal addresses", () => {
  const refused = async (target: string) => {
    const before = received.length;
    const attempt = deliverByDefault(webhookDeliver.input.parse({ url: target, payload: {} }), contextFor("run-3", []));
    const error: unknown = await attempt.then(() => undefined, (caught: unknown) => caught);
    // Nothing reached the receiver, and the failure is permanent: another attempt is refused the same way.
    expect(received.length).toBe(before);
    expect(error).toBeInstanceOf(PermanentJobError);
    return error instanceof Error ? error.message : "";
  };

  it("refuses loopback by IP, naming the address, the rule and the setting that admits a host", async () => {
    expect(await refused(url)).toBe(
      `refused to connect to 127.0.0.1: a loopback address. Outbound requests go only to public addresses; admit a host by naming it in ${allowedHostsSetting}`,
    );
  });

  it("checks the address a name resolves to when connecting, not the name", async () => {
    const port = new URL(url).port;
    expect(await refused(`http://localhost:${port}/hook`)).toMatch(/^refused to connect to localhost \((127\.0\.0\.1|::1)\): a loopback address\./);
  });

  it("refuses IPv6 loopback, an IPv4-mapped loopback, private, link-local (metadata), CGNAT and unspecified addresses", async () => {
    const port = new URL(url).port;
    const cases: [string, string][] = [
      [`http://[::1]:${port}/`, "loopback"],
      [`http://[::ffff:127.0.0.1]:${port}/`, "loopback"],
      ["http://10.0.0.8/", "private"],
      ["http://192.168.1.1/", "private"],
      ["http://172.16.0.1/", "private"],
      ["http://[fd00:ec2::254]/", "private (unique local)"],
      ["http://169.254.169.254/latest/meta-data/", "link-local (where cloud metadata services answer)"],
      ["http://100.100.100.200/", "carrier-grade NAT"],
      ["http://0.0.0.0/", "unspecified"],
      ["http://224.0.0.1/", "multicast"],
    ];
    for (const [target, range] of cases) expect(await refused(target)).toContain(`: a ${range} address.`);
  });

  it("admits a host named in the allowlist", async () => {
    const admitted = createWebhookDeliverer({ allowedHosts: new Set(["localhost"]) });
    const output = await admitted(webhookDeliver.input.parse({ url: url.replace("127.0.0.1", "localhost"), payload: {} }), contextFor("run-4", []));
    expect(output.status).toBe(200);
  });
});
