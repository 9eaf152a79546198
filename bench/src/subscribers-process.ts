/**
 * The fan-out scenario's subscribers, in a process of their own so that the
 * API's figures are the API's alone. Opens BENCH_SUBSCRIBERS subscriptions to
 * the runs in BENCH_RUN_IDS (spread evenly, each on its own connection, as as
 * many browsers would be), prints "subscribed" once all are open, and when
 * every stream has ended (or stdin says "finish") prints one JSON line:
 * `{"samples": [ms, …], "completed": n}`, the ctx.progress() → received
 * latencies and how many streams saw their run complete.
 *
 * Subscriptions are read by sse-subscription.ts and ws-subscription.ts (the
 * same wire protocols as tRPC's links, parsed here) unless BENCH_CLIENT=trpc:
 * the real clients' own cost queued the messages in this process (see
 * there). BENCH_CPU_PROF=<dir> writes this process's CPU profile there.
 */
import { createInterface } from "node:readline";
import { createClient } from "@conveyor/api/client";
import { nowMs } from "./catalog";
import { startProfile } from "./cpu-profile";
import { subscribeOverSse } from "./sse-subscription";
import type { SubscriptionCallbacks } from "./subscription-reader";
import { subscribeOverWebSocket } from "./ws-subscription";
import type { SubscribersReport } from "./subscribers-report";

const url = required("BENCH_API_URL");
const token = required("BENCH_TOKEN");
const ids = required("BENCH_RUN_IDS").split(",");
const count = Number(required("BENCH_SUBSCRIBERS"));
const transport = process.env.BENCH_TRANSPORT === "websocket" ? "websocket" : "sse";
const realClient = process.env.BENCH_CLIENT === "trpc";
const profile = startProfile(process.env.BENCH_CPU_PROF, `subscribers-${transport}`);

// SSE: every subscription is its own HTTP stream, so one client serves all. WebSocket: one socket per client.
const sse = createClient({ url, token });
const samples: number[] = [];
let started = 0;
let completed = 0;
let ended = 0;
let reported = false;

const callbacks: SubscriptionCallbacks = {
  onStarted: () => {
    if (++started === count) process.stdout.write("subscribed\n");
  },
  onData: ({ data }) => {
    if (typeof data !== "object" || data === null) return;
    const progress = "progress" in data ? data.progress : undefined;
    const sent = typeof progress === "object" && progress !== null && "data" in progress ? progress.data : undefined;
    if (typeof sent === "object" && sent !== null && "sentAt" in sent && typeof sent.sentAt === "number") {
      samples.push(Math.round((nowMs() - sent.sentAt) * 100) / 100);
    }
    if ("kind" in data && data.kind === "completed") completed++;
  },
  onComplete: () => {
    if (++ended === count) report();
  },
  onError: () => {
    if (++ended === count) report();
  },
};

const subscriptions = Array.from({ length: count }, (_, i) => {
  const input = { id: ids[i % ids.length] ?? "" };
  if (!realClient) return transport === "sse" ? subscribeOverSse(url, token, input, callbacks) : subscribeOverWebSocket(url, token, input, callbacks);
  const client = transport === "sse" ? sse : createClient({ url, token, subscriptions: "websocket" });
  return client.jobs.events.subscribe(input, callbacks);
});

createInterface({ input: process.stdin }).on("line", (line) => {
  if (line.trim() === "finish") report();
});

function report(): void {
  if (reported) return;
  reported = true;
  for (const subscription of subscriptions) subscription.unsubscribe();
  const result: SubscribersReport = { samples, completed };
  void profile.stop().then(() => process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0)));
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}
