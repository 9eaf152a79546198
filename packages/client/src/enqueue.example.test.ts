/**
 * Example: a shop service sharing Conveyor's database writes an order and
 * enqueues its webhook in ONE transaction of its own, with its own Drizzle
 * schema and connection: both commit, or neither exists.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq, sql } from "drizzle-orm";
import { integer, pgTable, serial, text, timestamp } from "drizzle-orm/pg-core";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { getRun, systemViewer } from "@conveyor/db";
import { createTestDatabase, waitFor } from "@conveyor/db/testing";
import { spawnWorker, type SpawnedWorker } from "@conveyor/worker/testing";
import { catalog, enqueue, InvalidRequestError, submit } from "./enqueue";

// The service's own table, defined with Drizzle as the service would.
const orders = pgTable("orders", {
  id: serial("id").primaryKey(),
  customer: text("customer").notNull(),
  totalCents: integer("total_cents").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

const { db: conveyorDb, url: databaseUrl } = await createTestDatabase();
// The service's own connection and schema (enqueue takes whichever Drizzle PostgreSQL database it is given).
const shopSql = postgres(databaseUrl, { max: 2, onnotice: () => {} });
const shop = drizzle(shopSql, { schema: { orders } });

// A receiver for the webhooks, and a real worker to deliver them.
const deliveries: string[] = [];
let delivered: () => void = () => {};
const receiver = createServer((request, response) => {
  let body = "";
  request.on("data", (chunk: Buffer) => (body += chunk.toString()));
  request.on("end", () => {
    deliveries.push(body);
    response.writeHead(204).end();
    delivered();
  });
});
let worker: SpawnedWorker;
let hookUrl: string;

beforeAll(async () => {
  await shop.execute(sql`
    create table orders (
      id serial primary key,
      customer text not null,
      total_cents integer not null,
      created_at timestamptz not null default now()
    )`);
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/orders`;
  worker = await spawnWorker(databaseUrl);
});

afterAll(async () => {
  await worker?.stop();
  await shopSql.end({ timeout: 5 });
  await new Promise((resolve) => receiver.close(resolve));
});

/** What exists for a run: its row, and its graphile-worker job (`run:<id>`). */
async function runExists(runId: string): Promise<{ run: boolean; job: boolean }> {
  const [row] = await shop.execute<{ run: boolean; job: boolean }>(sql`
    select exists (select 1 from conveyor.runs where id = ${runId}) as run,
           exists (select 1 from graphile_worker.jobs where key = ${`run:${runId}`}) as job`);
  return { run: row?.run ?? false, job: row?.job ?? false };
}

describe("enqueue in the service's own transaction", () => {
  it("commits the order and its webhook run together; the worker delivers it", async () => {
    const nextDelivery = new Promise<void>((resolve) => (delivered = resolve));
    const { order, runId } = await shop.transaction(async (tx) => {
      const [order] = await tx.insert(orders).values({ customer: "ada", totalCents: 4_200 }).returning();
      if (!order) throw new Error("no order returned");
      const run = await enqueue(tx, catalog, {
        type: "webhook.deliver",
        input: { url: hookUrl, payload: { event: "order.created", orderId: order.id, totalCents: order.totalCents } },
        options: { idempotencyKey: `order-created:${order.id}` },
        ownerId: "shop",
      });
      return { order, runId: run.id };
    });

    expect(await shop.select().from(orders).where(eq(orders.id, order.id))).toHaveLength(1);
    const run = await getRun(conveyorDb, systemViewer, runId);
    expect(run).toMatchObject({ type: "webhook.deliver", ownerId: "shop" });

    await nextDelivery;
    expect(JSON.parse(deliveries.at(-1) ?? "null")).toEqual({ event: "order.created", orderId: order.id, totalCents: 4_200 });
    await waitFor("the webhook run to complete", async () =>
      (await getRun(conveyorDb, systemViewer, runId)).status === "completed" ? true : undefined,
    );
  });

  it("leaves neither the order, nor the run, nor its job when the transaction throws after the enqueue", async () => {
    class PaymentDeclined extends Error {}
    let runId = "";
    let orderId = 0;
    const attempt = shop.transaction(async (tx) => {
      const [order] = await tx.insert(orders).values({ customer: "grace", totalCents: 999 }).returning();
      orderId = order?.id ?? 0;
      runId = (await enqueue(tx, catalog, { type: "webhook.deliver", input: { url: hookUrl, payload: { orderId } } })).id;
      // Inside the transaction, both exist.
      expect(await tx.select().from(orders).where(eq(orders.id, orderId))).toHaveLength(1);
      throw new PaymentDeclined("card declined");
    });

    await expect(attempt).rejects.toBeInstanceOf(PaymentDeclined);
    expect(orderId).toBeGreaterThan(0);
    expect(runId).not.toBe("");
    expect(await shop.select().from(orders).where(eq(orders.id, orderId))).toEqual([]);
    expect(await runExists(runId)).toEqual({ run: false, job: false });
  });

  it("submits on its own transaction through the service's connection too", async () => {
    const run = await submit(shop, catalog, { type: "document.analyze", input: { text: "Sales report." }, ownerId: "shop" });
    expect(await runExists(run.id)).toMatchObject({ run: true });
    await waitFor("the run to complete", async () => ((await getRun(conveyorDb, systemViewer, run.id)).status === "completed" ? true : undefined));
  });

  it("refuses bad input before writing, naming the field; the service's transaction decides what happens", async () => {
    const attempt = shop.transaction(async (tx) => {
      await tx.insert(orders).values({ customer: "linus", totalCents: 1 });
      await enqueue(tx, catalog, { type: "webhook.deliver", input: { url: "ftp://example.test", payload: {} } });
    });
    await expect(attempt).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(attempt).rejects.toThrow(/input\.url: must be an http\(s\) URL/);
    expect(await shop.select().from(orders).where(eq(orders.customer, "linus"))).toEqual([]);
  });
});
