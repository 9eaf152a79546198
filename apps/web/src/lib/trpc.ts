import { createTRPCReact } from "@trpc/react-query";
import { httpBatchLink, httpSubscriptionLink, splitLink } from "@trpc/client";
// The browser's own EventSource cannot send headers; this one reads the stream with fetch, which can.
import { EventSource } from "eventsource";
import type { AppRouter, RouterOutputs } from "@conveyor/api";
import { reportUnauthorized } from "./unauthorized";

export const trpc = createTRPCReact<AppRouter>();

export type Run = RouterOutputs["jobs"]["get"];
export type RunPage = RouterOutputs["jobs"]["list"];

/** The header every procedure but `health` needs. */
export function authorizationHeader(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

export interface TrpcClientOptions {
  /** The signed-in API token. */
  token: string;
  /** Called with the API's reason when any call finds the token refused (revoked, expired…). */
  onUnauthorized: (reason: string) => void;
}

/**
 * Same-origin /trpc (the dev server and `vite preview` proxy it to the API).
 * The token travels in the Authorization header, for subscriptions too, and
 * never in a URL: tRPC's `connectionParams` for SSE would put it in the query
 * string, where proxies and access logs keep it.
 */
export function createTrpcClient({ token, onUnauthorized }: TrpcClientOptions) {
  const headers = authorizationHeader(token);
  return trpc.createClient({
    links: [
      reportUnauthorized(onUnauthorized),
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({
          url: "/trpc",
          EventSource,
          eventSourceOptions: () => ({
            fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, ...headers } }),
          }),
        }),
        false: httpBatchLink({ url: "/trpc", headers: () => headers }),
      }),
    ],
  });
}
