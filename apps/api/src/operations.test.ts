import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { catalog } from "@conveyor/jobs";
import { startTracing } from "@conveyor/observability";
import { createTestDatabase, waitFor } from "@conveyor/db/testing";
import { handlers, startWorker, type ConveyorWorker } from "@conveyor/worker";
import { spawnWorker, type SpawnedWorker } from "@conveyor/worker/testing";
import { createClient, type ConveyorClient } from "./client";
import { startApiServer, type ApiServer } from "./server";
import { issueTestToken } from "./testing/tokens";

// Spans of this process (the API and an in-process worker) go to memory, as an OTLP exporter would send them.
const spans = new InMemorySpanExporter();
const stopTracing = await startTracing("conveyor-test", [new SimpleSpanProcessor(spans)]);

const { db, url: databaseUrl } = await createTestDatabase();
let api: ApiServer;
let worker: ConveyorWorker;
let spawned: SpawnedWorker;
let client: ConveyorClient;

beforeAll(async () => {
  [api, worker, spawned] = await Promise.all([
    startApiServer({ databaseUrl, port: 0 }),
    startWorker({ databaseUrl, catalog, handlers, quiet: true, opsPort: 0 }),
    spawnWorker(databaseUrl, { CONVEYOR_WORKER_CONCURRENCY: "2" }),
  ]);
  client = createClient({ url: api.url, token: await issueTestToken(db, { ownerId: "ops", role: "admin" }) });
}, 60_000);

afterAll(async () => {
  await spawned?.stop();
  await worker?.stop();
  await api?.close();
  await stopTracing();
});

/** One sample of the Prometheus text format: `name{label="value",…} number`. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parse Prometheus' text exposition format (comments skipped), refusing any line that is not a sample. */
function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match?.[1] || !match[3]) throw new Error(`not a Prometheus sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      if (key !== undefined && value !== undefined) labels[key] = value;
    }
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

async function scrape(url: string): Promise<Sample[]> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheus(await response.text());
}

function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))?.value;
}

function opsUrlOf(worker: SpawnedWorker): string {
  const line = worker.output().split("\n").find((entry) => entry.includes('"worker started"'));
  const url: unknown = line ? JSON.parse(line).opsUrl : null;
  if (typeof url !== "string") throw new Error(`the worker logged no opsUrl:\n${worker.output()}`);
  return url;
}

const origin = () => new URL(api.url).origin;

describe("metrics", () => {
  it("the API and every worker serve Prometheus metrics: calls, queue depth, attempts, durations, progress, subscribers, pool", async () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    await client.jobs.submit.mutate({ type: "document.analyze", input: { text: "Waiting for later." }, options: { runAt: future } });
    const { id } = await client.jobs.submit.mutate({ type: "document.analyze", input: { text: "Counted. ".repeat(2_000) } });
    const subscription = client.jobs.events.subscribe(undefined, { onData: () => {} });
    await waitFor("the run to complete", async () => ((await client.jobs.get.query({ id })).status === "completed" ? true : undefined));
    // The subscription is set up asynchronously: wait until the API counts it.
    const apiSamples = await waitFor("the subscriber to be counted", async () => {
      const samples = await scrape(`${origin()}/metrics`);
      return valueOf(samples, "conveyor_api_subscribers") === 1 ? samples : undefined;
    });
    expect(valueOf(apiSamples, "conveyor_api_calls_total", { procedure: "jobs.submit", type: "mutation", code: "OK" })).toBe(2);
    expect(valueOf(apiSamples, "conveyor_api_call_duration_seconds_count", { procedure: "jobs.submit" })).toBe(2);
    expect(valueOf(apiSamples, "conveyor_queue_depth", { queue: "default", status: "scheduled" })).toBe(1);
    expect(valueOf(apiSamples, "process_resident_memory_bytes")).toBeGreaterThan(0);
    subscription.unsubscribe();

    // The run went to one of the two workers; together they count it once, with its progress reports.
    const workerSamples = [...(await scrape(`${worker.opsUrl}/metrics`)), ...(await scrape(`${opsUrlOf(spawned)}/metrics`))];
    const sum = (name: string, labels: Record<string, string>) =>
      workerSamples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value)).reduce((total, sample) => total + sample.value, 0);
    expect(sum("conveyor_worker_attempts_started_total", { type: "document.analyze" })).toBe(1);
    expect(sum("conveyor_worker_attempts_finished_total", { type: "document.analyze", outcome: "completed" })).toBe(1);
    expect(sum("conveyor_worker_attempt_duration_seconds_count", { type: "document.analyze", outcome: "completed" })).toBe(1);
    expect(sum("conveyor_worker_progress_reports_total", { type: "document.analyze" })).toBeGreaterThan(0);
    expect(valueOf(workerSamples, "conveyor_worker_db_pool_connections", { state: "open" })).toBeGreaterThan(0);
  });
});

describe("health", () => {
  it("liveness and readiness answer on the API and on workers", async () => {
    for (const base of [origin(), worker.opsUrl ?? "", opsUrlOf(spawned)]) {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: "ready", checks: { database: true, migrations: true } });
    }
  });

  it("readiness fails while migrations are pending, and names the check", async () => {
    // A database this code has not migrated: the process is alive, but not ready to serve.
    const { url: emptyUrl } = await createTestDatabase({ migrated: false });
    const unmigrated = await startApiServer({ databaseUrl: emptyUrl, port: 0 });
    try {
      const base = new URL(unmigrated.url).origin;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: "not ready", checks: { database: true, migrations: false } });
    } finally {
      await unmigrated.close();
    }
  });
});

describe("traces", () => {
  it("link the API's submit span to the worker's attempt span through the run", async () => {
    // Only the in-process worker records its spans here: the spawned one must not take this run.
    await spawned.stop();
    spans.reset();
    const { id } = await client.jobs.submit.mutate({ type: "document.analyze", input: { text: "Traced from submit to completion." } });
    const attempt = await waitFor("the attempt's span", async () =>
      spans.getFinishedSpans().find((span) => span.attributes["conveyor.run_id"] === id && span.name.startsWith("conveyor.attempt")),
    );
    const submit = spans.getFinishedSpans().find((span) => span.name === "conveyor.submit" && span.attributes["conveyor.run_id"] === id);
    expect(submit).toBeDefined();
    expect(attempt.spanContext().traceId).toBe(submit?.spanContext().traceId);
    expect(attempt.parentSpanContext?.spanId).toBe(submit?.spanContext().spanId);
    expect(attempt.attributes).toMatchObject({ "conveyor.job_type": "document.analyze", "conveyor.attempt": 1, "conveyor.outcome": "completed" });
  });
});
