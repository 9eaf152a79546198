import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { generateSecretsKey, getRun, listRuns, readRunEvents, submit, systemViewer } from "@conveyor/db";
import { createTestDatabase, waitFor } from "@conveyor/db/testing";
import { defineCatalog, defineHandlers, defineJob, redactedPlaceholder, sensitive } from "@conveyor/jobs";
import { startWorker, type ConveyorWorker } from "./worker";

/** A careless handler: it writes its secret into a log line, a progress message and its error. */
const leaky = defineJob({
  name: "test.leaky",
  description: "Echoes its access token everywhere a person could read it",
  input: z.object({ mailbox: z.string(), auth: z.object({ accessToken: sensitive(z.string().min(8)) }) }),
  output: z.object({ tokenSha256: z.string() }),
  progress: z.object({}),
  defaults: { maxAttempts: 2, backoff: { type: "fixed", delayMs: 100 } },
  label: (input) => `scan ${input.mailbox} with ${input.auth.accessToken}`,
});
const catalog = defineCatalog([leaky]);
const handlers = defineHandlers(catalog, {
  "test.leaky": async (input, ctx) => {
    ctx.log(`connecting with ${input.auth.accessToken}`, { header: `Bearer ${input.auth.accessToken}` });
    ctx.progress(50, `token ${input.auth.accessToken} accepted`);
    if (ctx.attempt === 1) throw new Error(`mail server refused token ${input.auth.accessToken}`);
    return { tokenSha256: createHash("sha256").update(input.auth.accessToken).digest("hex") };
  },
});

const { db, url } = await createTestDatabase();
const logLines: string[] = [];
let worker: ConveyorWorker;

beforeAll(async () => {
  worker = await startWorker({ databaseUrl: url, catalog, handlers, pollIntervalMs: 200, writeLog: (line) => logLines.push(line) });
});
afterAll(() => worker.stop());

describe("sensitive input fields", () => {
  it("reach the handler, yet appear in no log line, error, progress message, label, event or read of the run", async () => {
    const secret = "ya29.a0AfH6SMC-very-secret-oauth-token";
    const { id } = await submit(db, catalog, {
      type: "test.leaky",
      input: { mailbox: "alice@example.com", auth: { accessToken: secret } },
      ownerId: "alice",
    });
    const run = await waitFor("the run to complete", async () => {
      const current = await getRun<typeof catalog>(db, systemViewer, id);
      return current.status === "completed" ? current : undefined;
    });

    // The handler had the real token: its hash is in the output.
    expect(run.output).toEqual({ tokenSha256: createHash("sha256").update(secret).digest("hex") });
    expect(run.input).toEqual({ mailbox: "alice@example.com", auth: { accessToken: redactedPlaceholder } });
    expect(run.label).toBe(`scan alice@example.com with ${redactedPlaceholder}`);

    const events = await readRunEvents(db, systemViewer, id, null);
    const retrying = events.find((event) => event.kind === "retrying");
    expect(retrying?.data?.error).toBe(`mail server refused token ${redactedPlaceholder}`);
    expect(events.some((event) => event.data?.message === `token ${redactedPlaceholder} accepted`)).toBe(true);

    // The line is kept in the run's history too, scrubbed, fields included.
    const logged = events.find((event) => event.kind === "log");
    expect(logged?.data).toMatchObject({ level: "info", message: `connecting with ${redactedPlaceholder}`, fields: { header: `Bearer ${redactedPlaceholder}` } });

    const runLines = logLines.filter((line) => line.includes(id));
    expect(runLines.some((line) => line.includes(`connecting with ${redactedPlaceholder}`))).toBe(true);
    // Every line about the run names its owner.
    expect(runLines.every((line) => JSON.parse(line).owner === "alice")).toBe(true);

    const everythingReadable = JSON.stringify({
      run,
      events,
      list: await listRuns(db, systemViewer, { type: "test.leaky" }),
      logLines,
      stored: await db.$client`select input, label, error, progress_message from conveyor.runs where id = ${id}`,
    });
    expect(everythingReadable).not.toContain(secret);
    expect(everythingReadable).not.toContain("very-secret");
  });

  it("fail the attempt with the missing key named when this worker cannot open them", async () => {
    const testKey = process.env.CONVEYOR_SECRETS_KEY;
    // Sealed with the test key, for a moment from now; by then the worker has only another key.
    const { id } = await submit(db, catalog, {
      type: "test.leaky",
      input: { mailbox: "bob@example.com", auth: { accessToken: "sealed-with-the-test-key" } },
      options: { runAt: new Date(Date.now() + 500) },
      ownerId: "bob",
    });
    const [stored] = await db.$client<{ keyId: string }[]>`select secrets_key_id as "keyId" from conveyor.runs where id = ${id}`;
    process.env.CONVEYOR_SECRETS_KEY = generateSecretsKey();
    try {
      const run = await waitFor("the run to fail", async () => {
        const current = await getRun<typeof catalog>(db, systemViewer, id);
        return current.status === "failed" ? current : undefined;
      });
      expect(run.attempts).toBe(2);
      expect(run.error).toContain(`sealed with key ${stored?.keyId}, which this process does not have`);
    } finally {
      process.env.CONVEYOR_SECRETS_KEY = testKey;
    }
  });
});
