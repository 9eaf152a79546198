import { createTRPCClient, httpLink } from "@trpc/client";
import type { AppRouter, RouterOutputs } from "@conveyor/api";
import { authorizationHeader } from "./trpc";

/** Who a token stands for, as `tokens.whoami` answers. */
export type Identity = RouterOutputs["tokens"]["whoami"];

/**
 * Ask the API who `token` stands for. Rejects with the API's reason
 * (a TRPCClientError) when the token is refused. A client of its own,
 * because the app's client exists only once a token has been accepted.
 */
export function whoami(token: string): Promise<Identity> {
  const client = createTRPCClient<AppRouter>({
    links: [httpLink({ url: "/trpc", headers: () => authorizationHeader(token) })],
  });
  return client.tokens.whoami.query();
}
