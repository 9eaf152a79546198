import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import { EventSource } from "eventsource";
import type { AppRouter } from "./root";

export interface ClientOptions {
  /** The API's tRPC endpoint, e.g. http://127.0.0.1:3000/trpc */
  url: string;
  /** Extra headers for queries and mutations. */
  headers?: Record<string, string>;
}

/**
 * A typed client for Node services: queries and mutations over HTTP
 * (batched), subscriptions over SSE (Node 20 has no EventSource of its own).
 *
 * @example
 * const conveyor = createClient({ url: "http://127.0.0.1:3000/trpc" });
 * const { id } = await conveyor.jobs.submit.mutate({ type: "document.analyze", input: { text } });
 * conveyor.jobs.events.subscribe({ id }, { onData: (event) => console.log(event.data.kind) });
 */
export function createClient(options: ClientOptions) {
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({ url: options.url, EventSource }),
        false: httpBatchLink({ url: options.url, headers: () => options.headers ?? {}, maxURLLength: 4000 }),
      }),
    ],
  });
}

export type ConveyorClient = ReturnType<typeof createClient>;
