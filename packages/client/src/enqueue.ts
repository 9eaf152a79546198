/**
 * In-process enqueue, for services that share Conveyor's PostgreSQL database:
 * no HTTP hop, and the run commits or rolls back with the service's own data.
 * Node only (it writes with Drizzle); browsers and other services use the API
 * client from `@conveyor/client`.
 *
 * - `enqueue(tx, catalog, { type, input, options?, ownerId? })` writes the run,
 *   its `queued` event and its graphile-worker job inside the caller's Drizzle
 *   transaction (any Drizzle PostgreSQL database: the service's own schema and
 *   driver will do). Validated first: bad input throws `InvalidRequestError`
 *   naming the field and writes nothing.
 * - `submit(db, catalog, request)` does the same in a transaction of its own.
 *
 * `ownerId` is who may see the run through the API (default: "system", which
 * only admins see): give the owner of the tokens that should watch it.
 * Limits (submission rate, unfinished runs) are the API's; they do not apply here.
 *
 * @example
 * import { catalog, enqueue } from "@conveyor/client/enqueue";
 * await db.transaction(async (tx) => {
 *   const [order] = await tx.insert(orders).values({ customer, total }).returning();
 *   await enqueue(tx, catalog, { type: "webhook.deliver", input: { url: hookUrl, payload: { orderId: order.id } }, ownerId: "shop" });
 * });
 */
export {
  enqueue,
  submit,
  InvalidRequestError,
  UnknownJobTypeError,
  type SubmitRequest,
  type Submitted,
} from "@conveyor/db";
export { catalog, type ConveyorCatalog } from "@conveyor/jobs";
