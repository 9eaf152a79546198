import { createTRPCClient, createTRPCUntypedClient, type TRPCClient } from "@trpc/client";
import { z } from "zod";
import type { AppRouter, RouterOutputs } from "@conveyor/api";
import { runStatusSchema, type Catalog, type ConveyorCatalog, type JobInput, type JobType, type SubmitOptions } from "@conveyor/jobs";
import { createRunRef, type RunHandle, type RunRef } from "./run-handle";
import { createTransport, type TransportOptions } from "./transport/links";
import type { Run, RunFilter, RunPage, SubmitItem } from "./types";

export type ConveyorClientOptions = TransportOptions;

/** Handles for the items of `submitMany`, in order, each typed by its item's job type. */
export type RunHandles<Items extends readonly SubmitItem<C>[], C extends Catalog = ConveyorCatalog> = {
  -readonly [I in keyof Items]: RunHandle<Items[I]["type"], C>;
};

export interface ConveyorClient<C extends Catalog = ConveyorCatalog> {
  /**
   * Validate and enqueue one run (`jobs.submit`); `input` is typed by the
   * contract `type` names. Bad input is refused with BAD_REQUEST naming the field.
   */
  submit<K extends JobType<C>>(type: K, input: JobInput<C[K]>, options?: SubmitOptions): Promise<RunHandle<K, C>>;
  /** Enqueue up to 10,000 runs in one transaction (`jobs.submitMany`); one invalid item refuses them all. */
  submitMany<const Items extends readonly SubmitItem<C>[]>(items: Items): Promise<RunHandles<Items, C>>;
  /** A handle on an existing run, e.g. one submitted by another process. */
  run(id: string): RunRef<JobType<C>, C>;
  /** One run with its input and output (`jobs.get`); narrow on `type` for its contract's types. */
  get(id: string): Promise<Run<JobType<C>, C>>;
  /** Runs newest first, filtered, a page at a time (`jobs.list`). */
  list(filter?: RunFilter): Promise<RunPage<C>>;
  /** The underlying tRPC client, for every other procedure (`queues.stats`, `jobs.retry`, …). */
  readonly raw: TRPCClient<AppRouter>;
  /** Close the WebSocket of `subscriptions: "websocket"` at once, instead of a second after the last subscription. */
  close(): void;
}

/**
 * A typed client of a Conveyor API, for Node 20+ and browsers. Submit runs,
 * await their results and iterate their events; dropped connections resume
 * by themselves. Typed from the job catalogue (`ConveyorCatalog` by default).
 *
 * @example
 * const conveyor = createConveyorClient({ url: "http://127.0.0.1:3000/trpc", token });
 * const run = await conveyor.submit("document.analyze", { text: "Hello world." });
 * const { readingEase } = await run.result();
 */
export function createConveyorClient<C extends Catalog = ConveyorCatalog>(options: ConveyorClientOptions): ConveyorClient<C> {
  const transport = createTransport(options);
  const raw = createTRPCClient<AppRouter>({ links: transport.links });
  // The router's types name Conveyor's catalogue; for another catalogue the wire format is the same, so
  // submissions go through tRPC's untyped client, and its answers are checked rather than asserted.
  const untyped = createTRPCUntypedClient<AppRouter>({ links: transport.links });
  const submitOne = async (input: unknown) => submittedSchema.parse(await untyped.mutation("jobs.submit", input));
  const submitBatch = async (input: unknown) => z.array(submittedSchema).parse(await untyped.mutation("jobs.submitMany", input));
  const handle = <K extends JobType<C>>(submitted: Submitted): RunHandle<K, C> => ({
    ...createRunRef<K, C>(raw, submitted.id),
    status: submitted.status,
    deduplicated: submitted.deduplicated,
  });
  return {
    raw,
    async submit(type, input, submitOptions) {
      return handle(await submitOne({ type, input, ...(submitOptions ? { options: submitOptions } : {}) }));
    },
    async submitMany(items) {
      const submitted = await submitBatch({ items });
      return submitted.map((one) => handle(one)) as RunHandles<typeof items, C>;
    },
    run: (id) => createRunRef(raw, id),
    get: (id) => raw.jobs.get.query({ id }) as Promise<unknown> as Promise<Run<JobType<C>, C>>,
    list: (filter) => raw.jobs.list.query(filter) as Promise<unknown> as Promise<RunPage<C>>,
    close: () => transport.close(),
  };
}

type Submitted = RouterOutputs["jobs"]["submit"];

/** What `jobs.submit` answers for each run. */
const submittedSchema = z.object({ id: z.string(), status: runStatusSchema, deduplicated: z.boolean() });
