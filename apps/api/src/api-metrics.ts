import { allRunCountsText } from "@conveyor/db";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Database } from "@conveyor/db";

/**
 * What an API process counts, in a registry of its own (tests run several
 * servers in one process): calls per procedure and outcome with their
 * durations, events delivered to subscribers, open subscriptions, and, read
 * from the database at each scrape, the unfinished runs per queue and status.
 */
export class ApiMetrics {
  readonly registry = new Registry();
  private readonly calls = new Counter({
    name: "conveyor_api_calls_total",
    help: "Procedure calls, by procedure, type (query, mutation, subscription) and result code (OK or the tRPC error code)",
    labelNames: ["procedure", "type", "code"],
    registers: [this.registry],
  });
  private readonly callDuration = new Histogram({
    name: "conveyor_api_call_duration_seconds",
    help: "How long queries and mutations took (a subscription counts until it is set up)",
    labelNames: ["procedure"],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly delivered = new Counter({
    name: "conveyor_api_events_delivered_total",
    help: "Run events sent to subscribers (one per subscriber)",
    labelNames: ["kind"],
    registers: [this.registry],
  });

  constructor(db: Database, subscribers: () => number) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: "conveyor_api_subscribers",
      help: "Subscriptions open on this API process",
      registers: [this.registry],
      collect() {
        this.set(subscribers());
      },
    });
    new Gauge({
      name: "conveyor_queue_depth",
      help: "Unfinished runs in the database, by queue and status (read at each scrape)",
      labelNames: ["queue", "status"],
      registers: [this.registry],
      async collect() {
        // From the counts the triggers on runs keep (see run-counts.ts): no scan of runs at any scrape.
        const rows = await db.$client<{ queue: string; status: string; count: number }[]>`
          select queue, status::text as status, sum(n)::int as count from ${db.$client.unsafe(allRunCountsText)} counts
           where status in ('queued', 'scheduled', 'running') group by queue, status having sum(n) <> 0`;
        this.reset();
        for (const row of rows) this.set({ queue: row.queue, status: row.status }, row.count);
      },
    });
  }

  /** Start timing a call; the returned function records its outcome. */
  callStarted(procedure: string, type: string): (code: string) => void {
    const stopTimer = this.callDuration.startTimer({ procedure });
    return (code) => {
      stopTimer();
      this.calls.inc({ procedure, type, code });
    };
  }

  eventDelivered(kind: string): void {
    this.delivered.inc({ kind });
  }
}
