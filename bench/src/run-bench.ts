import { cpus, totalmem } from "node:os";
import { atLeast, atMost, finishRow, ratioAtLeast, type BenchReport, type BenchRow } from "./report";
import { enqueueThroughput } from "./scenarios/enqueue";
import { progressDelivery } from "./scenarios/fan-out";
import { graphileIdleLatency } from "./scenarios/graphile-latency";
import { growth } from "./scenarios/growth";
import { peerSubmitToStart, submitToStart, type LatencyMode, type LatencyPeer } from "./scenarios/latency";
import { bullmqProcessing, conveyorProcessing, graphileProcessing } from "./scenarios/processing";
import { statementsPerRun, withDelay } from "./scenarios/round-trips";
import { conveyorSubmits, submitThroughput } from "./scenarios/submit";
import { redisAnswers } from "./redis";
import { round } from "./stats";

export { toMarkdown, type BenchReport, type BenchRow, type BenchTarget } from "./report";

/** What `--only=` can choose; every group runs when none is chosen. */
export const benchGroups = ["submit", "processing", "latency", "fanout", "rtt", "growth"] as const;
export type BenchGroup = (typeof benchGroups)[number];

export interface BenchOptions {
  /** A PostgreSQL server where the bench may create and drop databases. */
  serverUrl: string;
  redisUrl: string;
  /** Tiny counts, for the test that keeps the harness working. */
  smoke: boolean;
  /** The groups to run (default: all). */
  only?: readonly BenchGroup[];
  log?: (line: string) => void;
}

/** The clients of every HTTP submit figure: 20, each awaiting one request at a time. */
const submitClients = 20;
const redisNote = (url: string) => `Redis did not answer at ${url}: the BullMQ peers were skipped (their ratio rows are not met).`;

/** Run the chosen scenario groups once and collect the figures, each target decided from this run. */
export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const log = options.log ?? (() => {});
  const small = options.smoke;
  const groups = options.only && options.only.length > 0 ? benchGroups.filter((group) => options.only?.includes(group)) : [...benchGroups];
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const count = small ? 300 : 20_000;
  let singleSubmitCapacity: number | undefined;

  if (groups.includes("submit")) {
    const groupStart = performance.now();
    log("enqueue: batched submits…");
    const enqueue = await enqueueThroughput(options.serverUrl, small ? { batched: 200, batchSize: 100 } : { batched: 20_000, batchSize: 1_000 });
    rows.push(
      { scenario: "enqueue: submitMany in process", figure: enqueue.inProcessBatchedPerSecond, unit: "runs/s" },
      { scenario: "enqueue: jobs.submitMany over HTTP", figure: enqueue.httpBatchedPerSecond, unit: "runs/s" },
    );
    log("submit: jobs.submit and the HTTP peers…");
    const submit = await submitThroughput(options.serverUrl, options.redisUrl, { count: small ? 100 : 3_000, clients: submitClients });
    singleSubmitCapacity = submit.conveyorPerSecond;
    if (submit.bullmqPerSecond === undefined) notes.push(redisNote(options.redisUrl));
    rows.push(...submitRows("submit", submit));
    log(`submit: ${round((performance.now() - groupStart) / 1000)} s`);
  }

  if (groups.includes("processing")) {
    const groupStart = performance.now();
    log("processing: graphile-worker…");
    const graphileDefault = await graphileProcessing(options.serverUrl, count, 10, 0);
    const graphileBatched = await graphileProcessing(options.serverUrl, count, 10, 500);
    // The same batching and concurrency as Conveyor's best setting.
    const graphileBest = await graphileProcessing(options.serverUrl, count, 100, 500);
    log("processing: BullMQ…");
    const bull = await bullmqProcessing(options.redisUrl, count, 10);
    if (!bull && !groups.includes("submit")) notes.push(redisNote(options.redisUrl));
    log("processing: Conveyor…");
    const conveyorDefault = await conveyorProcessing(options.serverUrl, count, undefined, undefined);
    const conveyorBatched = await conveyorProcessing(options.serverUrl, count, 10, 500);
    // The best setting found so far on 2 cores: more runs in flight make every state batch larger.
    const conveyorBest = await conveyorProcessing(options.serverUrl, count, 100, 500);
    const peakRss = Math.max(...[conveyorDefault, conveyorBatched, conveyorBest].map((result) => result.workerRssMb ?? 0));
    rows.push(
      { scenario: `processing: raw graphile-worker c10 (${count} no-op jobs)`, figure: graphileDefault.perSecond, unit: "jobs/s" },
      { scenario: "processing: raw graphile-worker c10, localQueue 500", figure: graphileBatched.perSecond, unit: "jobs/s" },
      { scenario: "processing: raw graphile-worker c100, localQueue 500", figure: graphileBest.perSecond, unit: "jobs/s" },
      ...(bull ? [{ scenario: "processing: BullMQ c10 on Redis", figure: bull.perSecond, unit: "jobs/s" }] : []),
      {
        scenario: "processing: Conveyor tracked runs, the worker's defaults (no settings: c50, localQueue 100)",
        figure: conveyorDefault.perSecond,
        unit: "runs/s",
        ratio: { to: "raw graphile c10", value: conveyorDefault.perSecond / graphileDefault.perSecond },
        target: ratioAtLeast(1, "raw graphile-worker defaults"),
      },
      {
        scenario: "processing: Conveyor tracked runs c10, localQueue 500",
        figure: conveyorBatched.perSecond,
        unit: "runs/s",
        ratio: { to: "raw graphile c10 localQueue 500", value: conveyorBatched.perSecond / graphileBatched.perSecond },
      },
      {
        scenario: "processing: Conveyor tracked runs c100, localQueue 500 (best setting)",
        figure: conveyorBest.perSecond,
        unit: "runs/s",
        ratio: { to: "BullMQ c10", value: bull ? conveyorBest.perSecond / bull.perSecond : Number.NaN },
        target: ratioAtLeast(1, "BullMQ"),
      },
      {
        scenario: "processing: Conveyor best setting vs raw graphile-worker, same batching and concurrency (c100, localQueue 500)",
        figure: conveyorBest.perSecond,
        unit: "runs/s",
        ratio: { to: "raw graphile c100 localQueue 500", value: conveyorBest.perSecond / graphileBest.perSecond },
        target: ratioAtLeast(0.6, "raw graphile-worker"),
      },
      { scenario: "memory: worker RSS peak under processing load", figure: peakRss, unit: "MB", target: atMost(100) },
    );
    // Where the best setting's CPU goes (no target: the figures that say which side to work on).
    const cpu = conveyorBest.cpuMicrosPerRun;
    if (cpu) {
      rows.push(
        { scenario: "processing: best setting, PostgreSQL CPU per run", figure: cpu.postgres, unit: "µs" },
        { scenario: "processing: best setting, worker CPU per run", figure: cpu.worker, unit: "µs" },
        { scenario: "processing: best setting, machine CPU per run (every process)", figure: cpu.machine, unit: "µs" },
      );
    }
    log(`processing: ${round((performance.now() - groupStart) / 1000)} s`);
  }

  if (groups.includes("latency")) {
    const groupStart = performance.now();
    if (singleSubmitCapacity === undefined) {
      log("latency: measuring the single-submit capacity…");
      singleSubmitCapacity = await conveyorSubmits(options.serverUrl, small ? 100 : 2_000, submitClients);
    }
    const half = Math.max(1, singleSubmitCapacity / 2);
    rows.push({ scenario: `latency: single-submit capacity (jobs.submit over HTTP, ${submitClients} clients, this run)`, figure: singleSubmitCapacity, unit: "runs/s" });
    const modes: LatencyMode[] = [
      { kind: "one at a time", count: small ? 10 : 200 },
      { kind: "steady", perSecond: 200, count: small ? 40 : 1_000, label: "200 runs/s" },
      { kind: "steady", perSecond: half, count: small ? 20 : Math.min(1_000, Math.max(200, Math.round(half * 5))), label: `half capacity, ${round(half)} runs/s` },
    ];
    log("latency: submit → start…");
    for (const result of await submitToStart(options.serverUrl, modes)) {
      const label = result.mode.kind === "one at a time" ? "one at a time, idle" : result.mode.label;
      const { handlerStart: handler, startedEvent: event } = result;
      rows.push(
        { scenario: `latency (${label}): submit → handler start p50`, figure: handler.p50, unit: "ms", target: atMost(5) },
        { scenario: `latency (${label}): submit → handler start p99 (${handler.samples} runs)`, figure: handler.p99, unit: "ms", target: atMost(25) },
        { scenario: `latency (${label}): submit → started event at a subscriber p50`, figure: event.p50, unit: "ms", target: atMost(handler.p50 + 10, "<= handler p50 + 10") },
        { scenario: `latency (${label}): submit → started event at a subscriber p99`, figure: event.p99, unit: "ms", target: atMost(handler.p99 + 10, "<= handler p99 + 10") },
      );
    }
    // The same modes and load generator against the peers: what the least work between an HTTP submit and a handler's start costs here.
    const peers: LatencyPeer[] = (await redisAnswers(options.redisUrl)) ? ["graphile-worker", "BullMQ"] : ["graphile-worker"];
    for (const peer of peers) {
      log(`latency: ${peer} behind a bare HTTP endpoint…`);
      const results = await peerSubmitToStart(options.serverUrl, options.redisUrl, peer, modes);
      results.forEach((handler, index) => {
        const mode = modes[index];
        if (!mode) return;
        const label = mode.kind === "one at a time" ? "one at a time, idle" : mode.label;
        rows.push(
          { scenario: `latency reference, ${peer} over HTTP (${label}): submit → task start p50`, figure: handler.p50, unit: "ms" },
          { scenario: `latency reference, ${peer} over HTTP (${label}): submit → task start p99`, figure: handler.p99, unit: "ms" },
        );
      });
    }
    log("latency: raw graphile-worker, one at a time…");
    const graphile = await graphileIdleLatency(options.serverUrl, small ? 10 : 200);
    rows.push(
      { scenario: "latency: raw graphile-worker addJob → task start p50 (one at a time, idle; reference)", figure: graphile.p50, unit: "ms" },
      { scenario: "latency: raw graphile-worker addJob → task start p99", figure: graphile.p99, unit: "ms" },
    );
    log("progress → subscriber…");
    const progress = await progressDelivery(options.serverUrl, { runs: 1, subscribers: 1, ticks: small ? 10 : 100, intervalMs: 110, transport: "sse" });
    rows.push(
      { scenario: "progress: ctx.progress() → SSE subscriber p50", figure: progress.p50, unit: "ms" },
      { scenario: "progress: ctx.progress() → SSE subscriber p99", figure: progress.p99, unit: "ms", target: atMost(25) },
    );
    log(`latency: ${round((performance.now() - groupStart) / 1000)} s`);
  }

  if (groups.includes("fanout")) {
    const groupStart = performance.now();
    // Both transports tRPC offers, same load: SSE is the web app's, WebSocket the one for many watchers.
    for (const transport of ["websocket", "sse"] as const) {
      log(`fan-out over ${transport}…`);
      const fanOut = await progressDelivery(options.serverUrl, small
        ? { runs: 5, subscribers: 20, ticks: 10, intervalMs: 100, transport }
        : { runs: 100, subscribers: 1_000, ticks: 100, intervalMs: 100, transport });
      rows.push(
        { scenario: `fan-out ${transport}: ${fanOut.subscribers} subscribers (own process), 10 Hz runs: delivery p50`, figure: fanOut.p50, unit: "ms" },
        { scenario: `fan-out ${transport}: delivery p99`, figure: fanOut.p99, unit: "ms", target: atMost(transport === "websocket" ? 100 : 1_000) },
        { scenario: `fan-out ${transport}: subscriptions that saw their run complete`, figure: fanOut.completedStreams, unit: `of ${fanOut.subscribers}`, target: atLeast(fanOut.subscribers, `= ${fanOut.subscribers}`) },
        { scenario: `fan-out ${transport}: API RSS peak`, figure: fanOut.apiRssMb, unit: "MB", target: atMost(200) },
        { scenario: `fan-out ${transport}: API CPU`, figure: fanOut.apiCpuPercent, unit: "% of a core" },
      );
    }
    log(`fanout: ${round((performance.now() - groupStart) / 1000)} s`);
  }

  if (groups.includes("rtt")) {
    const groupStart = performance.now();
    log("round trips: 1 ms each way through delaying proxies…");
    const delayed = await withDelay(options.serverUrl, options.redisUrl, { delayMs: 1, runs: small ? 300 : 10_000, submits: small ? 100 : 2_000, clients: submitClients });
    const bull = delayed.bullmqProcessing?.perSecond;
    rows.push(
      ...(bull === undefined ? [] : [{ scenario: "rtt +1 ms each way: processing BullMQ c10", figure: bull, unit: "jobs/s" }]),
      {
        scenario: "rtt +1 ms each way: processing Conveyor c100, localQueue 500",
        figure: delayed.conveyorProcessing.perSecond,
        unit: "runs/s",
        ratio: { to: "BullMQ c10 at +1 ms", value: bull ? delayed.conveyorProcessing.perSecond / bull : Number.NaN },
        target: ratioAtLeast(1, "BullMQ"),
      },
      ...submitRows("rtt +1 ms each way: submit", delayed.submit),
    );
    log("round trips: statements per run (pg_stat_statements)…");
    const statements = await statementsPerRun({ runs: small ? 300 : 5_000, submits: small ? 100 : 1_000, clients: submitClients });
    rows.push(
      {
        scenario: `statements per processed run, excluding graphile-worker's own (c100, localQueue 500, ${statements.processedRuns} runs)`,
        figure: statements.processing.conveyor / statements.processedRuns,
        unit: "statements",
        target: atMost(2),
      },
      { scenario: "statements per processed run: graphile-worker's own", figure: statements.processing.graphile / statements.processedRuns, unit: "statements" },
      {
        scenario: `round trips per single submit (jobs.submit, ${submitClients} clients; statements incl. BEGIN/COMMIT)`,
        figure: statements.submit.conveyor / statements.submits,
        unit: "statements",
        target: atMost(2),
      },
    );
    notes.push(
      `Statements counted with ${statements.source}; the bench's own polls (tagged /* bench */) are left out, graphile-worker's own are its queries naming "graphile_worker" quoted.`,
      `Most frequent statements per processed run: ${describeTop(statements.processing.top, statements.processedRuns)}`,
      `Most frequent statements per submit: ${describeTop(statements.submit.top, statements.submits)}`,
    );
    log(`rtt: ${round((performance.now() - groupStart) / 1000)} s`);
  }

  if (groups.includes("growth")) {
    const groupStart = performance.now();
    const history = small ? 2_000 : 1_000_000;
    log(`growth: ${history} finished runs already in the tables…`);
    const grown = await growth(options.serverUrl, { history, runs: count, calls: small ? 20 : 200 });
    const label = `${history.toLocaleString("en-US")} finished runs`;
    rows.push(
      { scenario: `growth: seeding ${label} and their events`, figure: grown.seedSeconds, unit: "s" },
      { scenario: "growth: processing Conveyor best setting, empty database", figure: grown.empty.processing, unit: "runs/s" },
      {
        scenario: `growth: processing Conveyor best setting, with ${label}`,
        figure: grown.grown.processing,
        unit: "runs/s",
        ratio: { to: "empty database", value: grown.grown.processing / grown.empty.processing },
        target: ratioAtLeast(0.9, "empty"),
      },
    );
    for (const [name, empty, full] of [
      ["jobs.list first page", grown.empty.list.firstPage, grown.grown.list.firstPage],
      ["jobs.list status=failed", grown.empty.list.byStatus, grown.grown.list.byStatus],
      ["jobs.list type=bench.ticker", grown.empty.list.byType, grown.grown.list.byType],
    ] as const) {
      rows.push(
        { scenario: `growth: ${name} p99, empty database`, figure: empty.p99, unit: "ms" },
        { scenario: `growth: ${name} p99, with ${label}`, figure: full.p99, unit: "ms", target: atMost(20) },
      );
    }
    rows.push(
      { scenario: "growth: queues.stats p99, empty database", figure: grown.empty.stats.p99, unit: "ms" },
      { scenario: `growth: queues.stats p99, with ${label}`, figure: grown.grown.stats.p99, unit: "ms", target: atMost(100) },
      { scenario: `growth: prune of a day's runs: runs deleted`, figure: grown.pruned.runs, unit: "runs" },
      { scenario: "growth: prune duration (drain beside it took)", figure: grown.pruned.seconds, unit: `s (drain ${round(grown.pruned.drainSeconds)} s)` },
      {
        scenario: "growth: processing while the prune runs",
        figure: grown.processingDuringPrune,
        unit: "runs/s",
        ratio: { to: "without the prune", value: grown.processingDuringPrune / grown.grown.processing },
        target: ratioAtLeast(0.9, "without"),
      },
    );
    if (grown.pruned.seconds < grown.pruned.drainSeconds) {
      notes.push(`The prune (${round(grown.pruned.seconds)} s) ended before the drain beside it (${round(grown.pruned.drainSeconds)} s): only part of that drain ran alongside it.`);
    }
    log(`growth: ${round((performance.now() - groupStart) / 1000)} s`);
  }

  return {
    machine: { cpus: cpus().length, memoryGb: round(totalmem() / 1024 ** 3), node: process.version },
    smoke: options.smoke,
    groups,
    rows: rows.map(finishRow),
    notes,
  };
}

function submitRows(prefix: string, submit: { conveyorPerSecond: number; bullmqPerSecond?: number; graphilePerSecond: number }): BenchRow[] {
  const bull = submit.bullmqPerSecond;
  return [
    { scenario: `${prefix}: jobs.submit over HTTP, ${submitClients} clients (auth, validation, limits on)`, figure: submit.conveyorPerSecond, unit: "runs/s" },
    ...(bull === undefined ? [] : [{ scenario: `${prefix}: BullMQ queue.add behind node:http, same loop`, figure: bull, unit: "jobs/s" }]),
    { scenario: `${prefix}: graphile-worker addJob behind node:http, same loop`, figure: submit.graphilePerSecond, unit: "jobs/s" },
    {
      scenario: `${prefix}: jobs.submit vs the BullMQ HTTP peer`,
      figure: submit.conveyorPerSecond,
      unit: "runs/s",
      ratio: { to: "BullMQ HTTP peer", value: bull ? submit.conveyorPerSecond / bull : Number.NaN },
      target: ratioAtLeast(1, "BullMQ peer"),
    },
    {
      scenario: `${prefix}: jobs.submit vs the graphile-worker HTTP peer`,
      figure: submit.conveyorPerSecond,
      unit: "runs/s",
      ratio: { to: "graphile-worker HTTP peer", value: submit.conveyorPerSecond / submit.graphilePerSecond },
      target: ratioAtLeast(1, "graphile-worker peer"),
    },
  ];
}

function describeTop(top: readonly { query: string; calls: number }[], per: number): string {
  return top.map((entry) => `${round(entry.calls / per, 2)} × \`${entry.query}\``).join("; ") || "none";
}
