import { useState, type ReactNode } from "react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTrpcClient, trpc } from "../lib/trpc";
import { isUnauthorized } from "../lib/unauthorized";

interface ApiProvidersProps {
  token: string;
  onUnauthorized: (reason: string) => void;
  children: ReactNode;
}

/**
 * The tRPC client and query cache of one signed-in token. Render it keyed by
 * the token: a new token gets a new client and an empty cache, so nothing
 * loaded for one owner is shown to the next.
 */
export function ApiProviders({ token, onUnauthorized, children }: ApiProvidersProps) {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          queries: {
            // Live data arrives through the subscription, so queries never refetch on their own.
            staleTime: Infinity,
            refetchOnWindowFocus: false,
            // A refused token stays refused; the session ends at the first refusal.
            retry: (failures, error) => !isUnauthorized(error) && failures < 3,
          },
        },
      }),
  );
  // Both props are read once, when the client is made: a new token comes with a new key, hence a new client.
  const [trpcClient] = useState(() => createTrpcClient({ token, onUnauthorized }));
  return (
    <trpc.Provider client={trpcClient} queryClient={queryClient}>
      <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
    </trpc.Provider>
  );
}
