import { createTRPCReact } from "@trpc/react-query";
import { httpBatchLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import type { AppRouter, RouterOutputs } from "@conveyor/api";

export const trpc = createTRPCReact<AppRouter>();

export type Run = RouterOutputs["jobs"]["get"];
export type RunPage = RouterOutputs["jobs"]["list"];

/** Same-origin /trpc: the dev server proxies it to the API. Subscriptions use the browser's EventSource. */
export function createTrpcClient() {
  return trpc.createClient({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({ url: "/trpc" }),
        false: httpBatchLink({ url: "/trpc" }),
      }),
    ],
  });
}
