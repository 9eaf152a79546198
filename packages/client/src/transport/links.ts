import {
  createWSClient,
  httpBatchLink,
  httpSubscriptionLink,
  splitLink,
  TRPCClientError,
  wsLink,
  type TRPCLink,
  type TRPCWebSocketClient,
} from "@trpc/client";
import { observable, type Unsubscribable } from "@trpc/server/observable";
// Browsers' own EventSource cannot send headers and Node 20 has none; this one reads the stream with fetch.
import { EventSource } from "eventsource";
import type { AppRouter } from "@conveyor/api";
import { loadWebSocket } from "#web-socket";

export interface TransportOptions {
  /** The API's tRPC endpoint, e.g. `http://127.0.0.1:3000/trpc` (in a browser, `/trpc` for the page's own origin). */
  url: string;
  /** An API token (`pnpm conveyor token create`); every procedure but `health` needs one. */
  token?: string;
  /** Extra headers for queries and mutations (default: none). */
  headers?: Record<string, string>;
  /**
   * How subscriptions travel (default: "sse"). "websocket" opens one
   * connection for all of the client's subscriptions while it has some; it
   * costs the API less per event, for services watching many runs.
   */
  subscriptions?: "sse" | "websocket";
  /**
   * The WebSocket implementation for `subscriptions: "websocket"` (default:
   * the platform's; undici's on Node 20, loaded on first use).
   */
  WebSocket?: typeof WebSocket;
}

export interface Transport {
  links: TRPCLink<AppRouter>[];
  /** Close the WebSocket, if one is open (SSE streams close with their subscriptions). */
  close(): void;
}

/**
 * Queries and mutations over HTTP (batched); subscriptions over SSE or
 * WebSocket. Either way a dropped subscription reconnects by itself and
 * resumes after the last event it received (tRPC's `tracked()` ids). The
 * token travels in the Authorization header (SSE included) or in the
 * WebSocket's connection parameters, never in a URL.
 */
export function createTransport(options: TransportOptions): Transport {
  const url = absoluteUrl(options.url);
  const authorization: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  let webSocketClient: TRPCWebSocketClient | undefined;
  let closed = false;

  const subscriptionLink =
    options.subscriptions === "websocket"
      ? deferredLink(async () => {
          const WebSocket = options.WebSocket ?? (await loadWebSocket());
          if (!WebSocket) throw new Error('no WebSocket implementation here: pass `WebSocket`, or use subscriptions: "sse"');
          if (closed) throw new Error("the Conveyor client was closed");
          webSocketClient = createWSClient({
            url: url.replace(/^http/, "ws"),
            WebSocket,
            connectionParams: () => (options.token ? { token: options.token } : null),
            // Connect with the first subscription, close shortly after the last one ends.
            lazy: { enabled: true, closeMs: 1_000 },
          });
          return wsLink<AppRouter>({ client: webSocketClient });
        })
      : httpSubscriptionLink({
          url,
          EventSource,
          eventSourceOptions: () => ({
            fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, ...authorization } }),
          }),
        });

  return {
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: subscriptionLink,
        false: httpBatchLink({ url, headers: () => ({ ...options.headers, ...authorization }), maxURLLength: 4_000 }),
      }),
    ],
    close() {
      closed = true;
      void webSocketClient?.close();
    },
  };
}

/** A link built on first use, for a link whose setup is asynchronous (loading a WebSocket implementation). */
function deferredLink(create: () => Promise<TRPCLink<AppRouter>>): TRPCLink<AppRouter> {
  return (runtime) => {
    let ready: ReturnType<typeof start> | undefined;
    const start = () => create().then((link) => link(runtime));
    return ({ op, next }) =>
      observable((observer) => {
        ready ??= start();
        let inner: Unsubscribable | undefined;
        let stopped = false;
        ready.then(
          (operationLink) => {
            if (!stopped) inner = operationLink({ op, next }).subscribe(observer);
          },
          (error: unknown) => observer.error(TRPCClientError.from(error instanceof Error ? error : new Error(String(error)))),
        );
        return () => {
          stopped = true;
          inner?.unsubscribe();
        };
      });
  };
}

/** WebSocket and EventSource need an absolute URL; a browser page may give `/trpc`. */
function absoluteUrl(url: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) return url;
  const base = (globalThis as { location?: { href: string } }).location?.href;
  if (!base) throw new Error(`url must be absolute here (got "${url}"), e.g. http://127.0.0.1:3000/trpc`);
  return new URL(url, base).toString();
}
