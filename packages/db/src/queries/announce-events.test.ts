import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { catalog } from "@conveyor/jobs";
import { createTestDatabase, waitFor } from "../testing";
import { submit } from "./submit";
import { parseAnnouncement, readEventsByIds } from "./read-events";
import { claimRuns, writeLogs } from "./run-transitions";
import type { RunEvent } from "../run-view";

const { db, url } = await createTestDatabase();
const listener = postgres(url, { max: 1, onnotice: () => {} });
const payloads: string[] = [];
await listener.listen("conveyor_events", (payload) => void payloads.push(payload));
afterAll(() => listener.end());

const announced = () => payloads.flatMap(parseAnnouncement);
const idOf = (item: RunEvent | number) => (typeof item === "number" ? item : item.id);

/** A started run whose queued and started events were announced, with nothing left in `payloads`: only what follows is counted. */
async function runningRunAnnounced(): Promise<string> {
  const { id } = await submit(db, catalog, { type: "document.analyze", input: { text: "Hello world." } });
  payloads.length = 0;
  await claimRuns(db.$client, [{ runId: id, attempt: 1 }], { workerId: "test-worker", startedAt: new Date().toISOString() });
  await waitFor("the started event announced", async () => (announced().some((item) => typeof item !== "number" && item.kind === "started") ? true : undefined));
  payloads.length = 0;
  return id;
}

describe("the conveyor_events announcement", () => {
  it("carries each event as the API's live streams deliver it, so they need no read", async () => {
    payloads.length = 0;
    const { id } = await submit(db, catalog, { type: "document.analyze", input: { text: "Hello world." } });
    await claimRuns(db.$client, [{ runId: id, attempt: 1 }], { workerId: "test-worker", startedAt: new Date().toISOString() });
    await waitFor("both events announced", async () => (announced().length === 2 ? true : undefined));
    const items = announced();
    expect(items.every((item) => typeof item !== "number")).toBe(true);
    expect(items).toEqual(await readEventsByIds(db, items.map(idOf)));
    expect(items.map((item) => typeof item !== "number" && item.kind)).toEqual(["queued", "started"]);
  });

  it("sends an event too large for a notification by its id, keeps the order, and splits a batch under the 8000-byte limit", async () => {
    const id = await runningRunAnnounced();
    const at = new Date().toISOString();
    const lines = Array.from({ length: 16 }, (_, n) => ({
      id,
      attempt: 1,
      level: "info" as const,
      // Every fifth line is far larger than a notification's share of one; the others nearly fill theirs.
      message: n % 5 === 0 ? `line ${n} ${"x".repeat(5_000)}` : `line ${n} ${"y".repeat(700)}`,
      fields: null,
      at,
    }));
    await writeLogs(db.$client, lines);
    await waitFor("every line announced", async () => (announced().length === lines.length ? true : undefined));
    expect(payloads.length).toBeGreaterThan(1);
    for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThan(8_000);
    const items = announced();
    const ids = items.map(idOf);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(items.filter((item) => typeof item === "number")).toHaveLength(4);
    // Read back or carried, each event is the same as the table holds, in the order written.
    const read = await readEventsByIds(db, ids);
    const delivered = items.map((item) => (typeof item === "number" ? read.find((event) => event.id === item) : item));
    expect(delivered).toEqual(read);
    expect(read.map((event) => event.data?.message?.slice(0, 8))).toEqual(lines.map((line) => line.message.slice(0, 8)));
  });

  it("announces a large batch (a worker's, under load) by ids only, which cost the drain less to write", async () => {
    const id = await runningRunAnnounced();
    const at = new Date().toISOString();
    await writeLogs(db.$client, Array.from({ length: 40 }, (_, n) => ({ id, attempt: 1, level: "info" as const, message: `line ${n}`, fields: null, at })));
    await waitFor("every line announced", async () => (announced().length === 40 ? true : undefined));
    const ids = announced();
    expect(ids.every((item) => typeof item === "number")).toBe(true);
    expect((await readEventsByIds(db, ids.map(idOf))).map((event) => event.data?.message)).toEqual(Array.from({ length: 40 }, (_, n) => `line ${n}`));
  });

  it("still reads the comma-separated ids the trigger sent before", () => {
    expect(parseAnnouncement("4,5,6")).toEqual([4, 5, 6]);
  });

  it("refuses a payload that is not an announcement rather than delivering a malformed event", () => {
    expect(() => parseAnnouncement('[{"id":1}]')).toThrow();
  });
});
