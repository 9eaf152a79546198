import { createTRPCClient, createWSClient, httpBatchLink, httpSubscriptionLink, splitLink, wsLink } from "@trpc/client";
import { EventSource } from "eventsource";
// Node 22 ships this implementation as its global WebSocket; Node 20 does not expose it.
import { WebSocket } from "undici";
import type { AppRouter } from "./root";

export interface ClientOptions {
  /** The API's tRPC endpoint, e.g. http://127.0.0.1:3000/trpc */
  url: string;
  /** An API token (`pnpm conveyor token create`); every procedure but `health` needs one. */
  token?: string;
  /** Extra headers for queries and mutations. */
  headers?: Record<string, string>;
  /**
   * How subscriptions travel (default: "sse"). "websocket" opens one
   * connection for all of this client's subscriptions, only while it has
   * some; it costs the server less per event, for services watching many runs.
   */
  subscriptions?: "sse" | "websocket";
}

/**
 * A typed client for Node services: queries and mutations over HTTP
 * (batched), subscriptions over SSE or WebSocket (Node 20 has neither
 * EventSource nor WebSocket of its own, so both come from packages).
 * Either way a dropped subscription reconnects by itself and resumes after
 * the last event it received. The token travels in the Authorization header
 * (SSE included) or in the WebSocket's connection parameters, never in a URL.
 *
 * @example
 * const conveyor = createClient({ url: "http://127.0.0.1:3000/trpc", token: process.env.CONVEYOR_TOKEN });
 * const { id } = await conveyor.jobs.submit.mutate({ type: "document.analyze", input: { text } });
 * conveyor.jobs.events.subscribe({ id }, { onData: (event) => console.log(event.data.kind) });
 */
export function createClient(options: ClientOptions) {
  const authorization: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  const subscriptionLink =
    options.subscriptions === "websocket"
      ? wsLink({
          client: createWSClient({
            url: options.url.replace(/^http/, "ws"),
            WebSocket,
            connectionParams: () => (options.token ? { token: options.token } : null),
            // Connect with the first subscription, close shortly after the last one ends.
            lazy: { enabled: true, closeMs: 1_000 },
          }),
        })
      : httpSubscriptionLink({
          url: options.url,
          EventSource,
          // This EventSource reads the stream with fetch, which can send the header.
          eventSourceOptions: () => ({
            fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, ...authorization } }),
          }),
        });
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: subscriptionLink,
        false: httpBatchLink({ url: options.url, headers: () => ({ ...options.headers, ...authorization }), maxURLLength: 4000 }),
      }),
    ],
  });
}

export type ConveyorClient = ReturnType<typeof createClient>;
