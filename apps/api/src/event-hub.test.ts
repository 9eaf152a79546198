import { describe, expect, it } from "vitest";
import { catalog } from "@conveyor/jobs";
import { claimRuns, submit, writeLogs, type RunEvent } from "@conveyor/db";
import { createTestDatabase } from "@conveyor/db/testing";
import { EventHub, HubSubscription } from "./event-hub";

const runA = "00000000-0000-4000-8000-00000000000a";
const runB = "00000000-0000-4000-8000-00000000000b";

function event(id: number, runId: string, kind: RunEvent["kind"], percent?: number): RunEvent {
  return { id, runId, ownerId: "alice", type: "test", kind, at: new Date(0), data: percent === undefined ? null : { percent } };
}

async function drain(subscription: HubSubscription, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const item = await subscription.next();
    if (item?.kind === "event") ids.push(item.event.id);
  }
  return ids;
}

describe("a subscriber that falls behind", () => {
  it("receives the latest progress of a run instead of every stale one, and every other event", async () => {
    const subscription = new HubSubscription(() => {});
    subscription.push({ kind: "event", event: event(1, runA, "started") });
    subscription.push({ kind: "event", event: event(2, runA, "progress", 10) });
    subscription.push({ kind: "event", event: event(3, runB, "progress", 5) });
    subscription.push({ kind: "event", event: event(4, runA, "progress", 20) });
    subscription.push({ kind: "event", event: event(5, runA, "progress", 30) });
    subscription.push({ kind: "event", event: event(6, runA, "completed") });
    subscription.push({ kind: "event", event: event(7, runB, "progress", 50) });
    // In announcement order, so a stream resumed after the last id it saw misses nothing.
    expect(await drain(subscription, 4)).toEqual([1, 5, 6, 7]);
  });

  it("keeps a progress report that follows a retry rather than folding it into the previous attempt's", async () => {
    const subscription = new HubSubscription(() => {});
    subscription.push({ kind: "event", event: event(1, runA, "progress", 50) });
    subscription.push({ kind: "event", event: event(2, runA, "retrying") });
    subscription.push({ kind: "event", event: event(3, runA, "started") });
    subscription.push({ kind: "event", event: event(4, runA, "progress", 10) });
    expect(await drain(subscription, 4)).toEqual([1, 2, 3, 4]);
  });

  it("gets each progress report when it keeps up", async () => {
    const subscription = new HubSubscription(() => {});
    const received: number[] = [];
    for (let id = 1; id <= 3; id++) {
      subscription.push({ kind: "event", event: event(id, runA, "progress", id * 10) });
      received.push(...(await drain(subscription, 1)));
    }
    expect(received).toEqual([1, 2, 3]);
  });
});

describe("the hub", () => {
  it("delivers announced events in the order they were written, holding back the ones after an event it must read", async () => {
    const { db, url } = await createTestDatabase();
    const hub = new EventHub(url);
    await hub.start();
    try {
      const controller = new AbortController();
      const subscription = hub.subscribe(null, controller.signal);
      const { id } = await submit(db, catalog, { type: "document.analyze", input: { text: "Hello world." } });
      await claimRuns(db.$client, [{ runId: id, attempt: 1 }], { workerId: "test-worker", startedAt: new Date().toISOString() });
      const at = new Date().toISOString();
      // One line too large to travel in a notification (the hub reads it), between small ones that do.
      const messages = ["small 1", `large ${"x".repeat(5_000)}`, "small 2", "small 3"];
      for (const message of messages) await writeLogs(db.$client, [{ id, attempt: 1, level: "info", message, fields: null, at }]);
      const received: string[] = [];
      while (received.length < 2 + messages.length) {
        const item = await subscription.next();
        if (item?.kind === "event") received.push(item.event.kind === "log" ? String(item.event.data?.message).slice(0, 7) : item.event.kind);
      }
      expect(received).toEqual(["queued", "started", "small 1", "large x", "small 2", "small 3"]);
      controller.abort();
    } finally {
      await hub.stop();
      await db.$client.end();
    }
  });
});
