import { cpus, totalmem } from "node:os";
import { enqueueThroughput } from "./scenarios/enqueue";
import { progressDelivery, submitToStart } from "./scenarios/latency";
import { bullmqProcessing, conveyorProcessing, graphileProcessing } from "./scenarios/processing";
import { round } from "./stats";

export interface BenchOptions {
  /** A PostgreSQL server where the bench may create and drop databases. */
  serverUrl: string;
  redisUrl: string;
  /** Tiny counts, for the test that keeps the harness working. */
  smoke: boolean;
  log?: (line: string) => void;
}

export interface BenchRow {
  scenario: string;
  figure: number;
  unit: string;
  /** The ratio to a peer measured in the same run, with the peer's name. */
  ratio?: { to: string; value: number };
  target?: string;
}

export interface BenchReport {
  machine: { cpus: number; memoryGb: number; node: string };
  smoke: boolean;
  rows: BenchRow[];
  notes: string[];
}

/** Run every scenario once and collect the figures. */
export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const log = options.log ?? (() => {});
  const small = options.smoke;
  const count = small ? 300 : 20_000;
  const rows: BenchRow[] = [];
  const notes: string[] = [];

  log("enqueue…");
  const enqueue = await enqueueThroughput(options.serverUrl, small
    ? { batched: 200, batchSize: 100, single: 100, clients: 4 }
    : { batched: 20_000, batchSize: 1_000, single: 3_000, clients: 20 });
  rows.push(
    { scenario: "enqueue: submitMany in process", figure: enqueue.inProcessBatchedPerSecond, unit: "runs/s" },
    { scenario: `enqueue: jobs.submit over HTTP, ${small ? 4 : 20} clients`, figure: enqueue.httpSinglePerSecond, unit: "runs/s" },
    { scenario: "enqueue: jobs.submitMany over HTTP", figure: enqueue.httpBatchedPerSecond, unit: "runs/s" },
  );

  log("processing: graphile-worker…");
  const graphileDefault = await graphileProcessing(options.serverUrl, count, 10, 0);
  const graphileBatched = await graphileProcessing(options.serverUrl, count, 10, 500);
  log("processing: BullMQ…");
  const bull = await bullmqProcessing(options.redisUrl, count, 10);
  if (!bull) notes.push(`Redis did not answer at ${options.redisUrl}: the BullMQ peer was skipped.`);
  log("processing: Conveyor…");
  const conveyorDefault = await conveyorProcessing(options.serverUrl, count, 10, 0);
  const conveyorBatched = await conveyorProcessing(options.serverUrl, count, 10, 500);
  // The best setting found so far on 2 cores: more runs in flight make every state batch larger.
  const conveyorBest = await conveyorProcessing(options.serverUrl, count, 100, 500);
  const bullRatio = (perSecond: number) => (bull ? { to: "BullMQ c10", value: perSecond / bull.perSecond } : undefined);
  rows.push(
    { scenario: `processing: raw graphile-worker c10 (${count} no-op jobs)`, figure: graphileDefault.perSecond, unit: "jobs/s" },
    { scenario: "processing: raw graphile-worker c10, localQueue 500", figure: graphileBatched.perSecond, unit: "jobs/s" },
    ...(bull ? [{ scenario: "processing: BullMQ c10 on Redis", figure: bull.perSecond, unit: "jobs/s" }] : []),
    {
      scenario: "processing: Conveyor tracked runs c10",
      figure: conveyorDefault.perSecond,
      unit: "runs/s",
      ratio: { to: "raw graphile c10", value: conveyorDefault.perSecond / graphileDefault.perSecond },
    },
    {
      scenario: "processing: Conveyor tracked runs c10, localQueue 500",
      figure: conveyorBatched.perSecond,
      unit: "runs/s",
      ratio: { to: "raw graphile c10 localQueue 500", value: conveyorBatched.perSecond / graphileBatched.perSecond },
      target: ">= 0.6x",
    },
  );
  rows.push({
    scenario: "processing: Conveyor tracked runs c100, localQueue 500",
    figure: conveyorBest.perSecond,
    unit: "runs/s",
    ratio: bullRatio(conveyorBest.perSecond) ?? { to: "raw graphile c10 localQueue 500", value: conveyorBest.perSecond / graphileBatched.perSecond },
    target: ">= 1.0x BullMQ",
  });
  const peakRss = Math.max(...[conveyorDefault, conveyorBatched, conveyorBest].map((result) => result.workerRssMb ?? 0));
  rows.push({ scenario: "memory: worker RSS peak under processing load", figure: peakRss, unit: "MB", target: "<= 100" });

  log("latency: submit → start…");
  const latency = await submitToStart(options.serverUrl, 200, small ? 100 : 1_000);
  rows.push(
    { scenario: "latency: submit → handler start p50 (200 runs/s)", figure: latency.p50, unit: "ms", target: "<= 5" },
    { scenario: "latency: submit → handler start p95", figure: latency.p95, unit: "ms" },
    { scenario: "latency: submit → handler start p99", figure: latency.p99, unit: "ms", target: "<= 25" },
  );

  log("progress → subscriber…");
  const progress = await progressDelivery(options.serverUrl, { runs: 1, subscribers: 1, ticks: small ? 10 : 100, intervalMs: 110, transport: "sse" });
  rows.push(
    { scenario: "progress: ctx.progress() → SSE subscriber p50", figure: progress.p50, unit: "ms" },
    { scenario: "progress: ctx.progress() → SSE subscriber p99", figure: progress.p99, unit: "ms", target: "<= 25" },
  );

  // Both transports tRPC offers, same load: SSE is the web app's, WebSocket the one for many watchers.
  for (const transport of ["websocket", "sse"] as const) {
    log(`fan-out over ${transport}…`);
    const fanOut = await progressDelivery(options.serverUrl, small
      ? { runs: 5, subscribers: 20, ticks: 10, intervalMs: 100, transport }
      : { runs: 100, subscribers: 1_000, ticks: 100, intervalMs: 100, transport });
    const targeted = transport === "websocket";
    rows.push(
      { scenario: `fan-out ${transport}: ${fanOut.subscribers} subscribers, 10 Hz runs: delivery p50`, figure: fanOut.p50, unit: "ms" },
      { scenario: `fan-out ${transport}: delivery p99`, figure: fanOut.p99, unit: "ms", ...(targeted ? { target: "<= 100" } : {}) },
      { scenario: `fan-out ${transport}: subscriptions that saw their run complete`, figure: fanOut.completedStreams, unit: `of ${fanOut.subscribers}` },
      { scenario: `fan-out ${transport}: API RSS peak`, figure: fanOut.apiRssMb, unit: "MB", ...(targeted ? { target: "<= 200" } : {}) },
      { scenario: `fan-out ${transport}: API CPU`, figure: fanOut.apiCpuPercent, unit: "% of a core" },
    );
  }

  return {
    machine: { cpus: cpus().length, memoryGb: round(totalmem() / 1024 ** 3), node: process.version },
    smoke: options.smoke,
    rows: rows.map((row) => ({ ...row, figure: round(row.figure, 1), ...(row.ratio ? { ratio: { ...row.ratio, value: round(row.ratio.value, 2) } } : {}) })),
    notes,
  };
}

export function toMarkdown(report: BenchReport): string {
  const lines = [
    "| scenario | figure | ratio to peer (same run) | target |",
    "|---|---:|---|---|",
    ...report.rows.map((row) =>
      `| ${row.scenario} | ${row.figure} ${row.unit} | ${row.ratio ? `${row.ratio.value}x ${row.ratio.to}` : ""} | ${row.target ?? ""} |`,
    ),
  ];
  for (const note of report.notes) lines.push("", `Note: ${note}`);
  return lines.join("\n");
}
