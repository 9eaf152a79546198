/**
 * The fan-out scenario's subscribers, in a process of their own so that the
 * API's figures are the API's alone. Opens BENCH_SUBSCRIBERS subscriptions to
 * the runs in BENCH_RUN_IDS (spread evenly, each on its own connection, as as
 * many browsers would be), prints "subscribed" once all are open, and when
 * every stream has ended (or stdin says "finish") prints one JSON line:
 * `{"samples": [ms, …], "completed": n}`, the ctx.progress() → received
 * latencies and how many streams saw their run complete.
 */
import { createInterface } from "node:readline";
import { createClient } from "@conveyor/api/client";
import { nowMs } from "./catalog";
import type { SubscribersReport } from "./subscribers-report";

const url = required("BENCH_API_URL");
const token = required("BENCH_TOKEN");
const ids = required("BENCH_RUN_IDS").split(",");
const count = Number(required("BENCH_SUBSCRIBERS"));
const transport = process.env.BENCH_TRANSPORT === "websocket" ? "websocket" : "sse";

// SSE: every subscription is its own HTTP stream, so one client serves all. WebSocket: one socket per client.
const sse = createClient({ url, token });
const clientFor = () => (transport === "sse" ? sse : createClient({ url, token, subscriptions: "websocket" }));
const samples: number[] = [];
let started = 0;
let completed = 0;
let ended = 0;
let reported = false;

const subscriptions = Array.from({ length: count }, (_, i) =>
  clientFor().jobs.events.subscribe(
    { id: ids[i % ids.length] ?? "" },
    {
      onStarted: () => {
        if (++started === count) process.stdout.write("subscribed\n");
      },
      onData: ({ data }) => {
        const sentAt = data.progress?.data;
        if (typeof sentAt === "object" && sentAt !== null && "sentAt" in sentAt && typeof sentAt.sentAt === "number") {
          samples.push(Math.round((nowMs() - sentAt.sentAt) * 100) / 100);
        }
        if (data.kind === "completed") completed++;
      },
      onComplete: () => {
        if (++ended === count) report();
      },
      onError: () => {
        if (++ended === count) report();
      },
    },
  ),
);

createInterface({ input: process.stdin }).on("line", (line) => {
  if (line.trim() === "finish") report();
});

function report(): void {
  if (reported) return;
  reported = true;
  for (const subscription of subscriptions) subscription.unsubscribe();
  const result: SubscribersReport = { samples, completed };
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}
