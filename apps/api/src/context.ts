import type { IncomingMessage } from "node:http";
import { readBearerToken, TokenRejectedError, type Database, type LimitDefaults, type Principal } from "@conveyor/db";
import type { ApiMetrics } from "./api-metrics";
import type { EventHub } from "./event-hub";
import type { Log } from "./logger";
import type { SubscriptionLeases } from "./subscription-leases";
import type { SubmitBatcher } from "./submit-batcher";
import type { TokenChecks } from "./token-checks";

/** What every request can reach: the same for all requests of one API process. */
export interface ApiServices {
  db: Database;
  events: EventHub;
  leases: SubscriptionLeases;
  limits: LimitDefaults;
  /** Checks tokens, keeping accepted ones for a few seconds (revocations are announced). */
  tokens: TokenChecks;
  /** Writes submissions many per statement (group commit). */
  submits: SubmitBatcher;
  metrics: ApiMetrics;
  /** Largest request body (and WebSocket message) in bytes. */
  maxBodyBytes: number;
  /** How long a query or mutation waits for PostgreSQL before it is answered SERVICE_UNAVAILABLE. */
  databaseTimeoutMs: number;
  log: Log;
}

export interface ApiContext extends ApiServices {
  /** Who is calling, checked against the token table; rejects with `TokenRejectedError`. */
  authenticate(): Promise<Principal>;
  /**
   * Called by a subscription once it receives everything from now on (the SSE stream sends its
   * `connected` frame then, so a client that saw it misses nothing committed after).
   */
  onListening?: () => void;
}

/**
 * A request over HTTP (queries, mutations, SSE subscriptions) carries its
 * token in the Authorization header. It is checked once per request, and
 * only by procedures that need it (`health` does not).
 */
export function httpContext(services: ApiServices, req: IncomingMessage): ApiContext {
  let principal: Promise<Principal> | undefined;
  return {
    ...services,
    authenticate: () => (principal ??= Promise.resolve().then(() => services.tokens.check(readBearerToken(req.headers.authorization)))),
  };
}

/**
 * A WebSocket carries its token in the connection parameters (the first
 * message, never the URL). It is checked again for every operation, so a
 * revoked token stops working on a connection that is already open.
 */
export function webSocketContext(services: ApiServices, connectionParams: Readonly<Record<string, string | undefined>> | null): ApiContext {
  const token = connectionParams?.token;
  return {
    ...services,
    authenticate: () =>
      typeof token === "string" && token.length > 0
        ? services.tokens.check(token)
        : Promise.reject(new TokenRejectedError("missing token: pass { token } in the WebSocket connection parameters")),
  };
}
