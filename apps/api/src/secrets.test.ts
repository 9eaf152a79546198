import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, waitFor } from "@conveyor/db/testing";
import { redactedPlaceholder } from "@conveyor/jobs";
import { spawnWorker, type SpawnedWorker } from "@conveyor/worker/testing";
import { createClient, type ConveyorClient } from "./client";
import { startApiServer, type ApiServer } from "./server";
import { issueTestToken } from "./testing/tokens";

const { db, url: databaseUrl } = await createTestDatabase();
const apiLog: string[] = [];
let api: ApiServer;
let worker: SpawnedWorker;
let client: ConveyorClient;

/** A webhook receiver that refuses the first delivery (so the run retries and logs its error), then accepts. */
const deliveries: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    deliveries.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
    res.writeHead(deliveries.length === 1 ? 503 : 200).end(deliveries.length === 1 ? "busy" : "ok");
  });
});
let receiverUrl: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  [api, worker] = await Promise.all([
    startApiServer({ databaseUrl, port: 0, log: (line) => apiLog.push(JSON.stringify(line)) }),
    spawnWorker(databaseUrl),
  ]);
  client = createClient({ url: api.url, token: await issueTestToken(db, { ownerId: "alice" }) });
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await api?.close();
  receiver.closeAllConnections();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

describe("a webhook's signing secret (a sensitive field)", () => {
  it("signs the delivery, yet never shows in the API's answers, its logs, the worker's logs or the stored input", async () => {
    const secret = "whsec_3a9f2c77d1e84b0c9e5f";
    const { id } = await client.jobs.submit.mutate({
      type: "webhook.deliver",
      input: { url: receiverUrl, payload: { order: 42 }, secret },
      // The first delivery is refused, so the run retries (after its backoff) and logs an error.
      options: { maxAttempts: 2 },
    });
    const events: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      const subscription = client.jobs.events.subscribe(
        { id },
        {
          onData: ({ data }) => {
            events.push(data);
            if (data.kind === "completed") {
              subscription.unsubscribe();
              resolve();
            }
          },
          onError: reject,
        },
      );
    });

    // The handler had the secret: the receiver can verify the second delivery's signature.
    const delivered = deliveries.at(-1);
    const timestamp = String(delivered?.headers["x-conveyor-timestamp"]);
    const expected = createHmac("sha256", secret).update(`${timestamp}.${delivered?.body}`).digest("hex");
    expect(delivered?.headers["x-conveyor-signature"]).toBe(`sha256=${expected}`);

    const run = await client.jobs.get.query({ id });
    expect(run.type === "webhook.deliver" && run.input.secret).toBe(redactedPlaceholder);
    await waitFor("the worker to log the completion", async () => (worker.output().includes(`"completed"`) ? true : undefined));
    const workerLines = worker.output().split("\n").filter((line) => line.includes(id));
    expect(workerLines.length).toBeGreaterThan(0);
    expect(workerLines.every((line) => JSON.parse(line).owner === "alice")).toBe(true);
    expect(apiLog.some((line) => line.includes(id) && line.includes('"owner":"alice"'))).toBe(true);

    const everythingReadable = JSON.stringify({
      run,
      events,
      list: await client.jobs.list.query({ type: "webhook.deliver" }),
      apiLog,
      workerOutput: worker.output(),
      stored: await db.$client`select input, label, error, progress_message from conveyor.runs`,
      storedEvents: await db.$client`select data from conveyor.run_events`,
    });
    expect(everythingReadable).not.toContain(secret);
  });
});
