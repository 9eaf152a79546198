/**
 * fetch for requests whose URL a user chose: the address checked is the one
 * actually connected to (in the socket's DNS lookup), so a name that resolves
 * to a public address for a check and to a private one for the connection
 * (DNS rebinding) cannot slip through. IP literals skip the lookup, so they
 * are checked before the request. Redirects are never followed.
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import type { Agent, RequestInit, Response } from "undici";
import { normalizeHost, OutboundRequestRefusedError, refusedRange, type OutboundPolicy } from "./address-policy";

export interface GuardedFetch {
  (url: string, init: Omit<RequestInit, "dispatcher" | "redirect">): Promise<Response>;
}

/**
 * A fetch that refuses addresses outside the policy (see address-policy.ts); one connection pool per policy.
 * undici is loaded on the first request: it adds about 20 MB to a process's RSS, and most workers never
 * deliver a webhook.
 */
export function createGuardedFetch(policy: OutboundPolicy): GuardedFetch {
  let client: Promise<{ agent: Agent; fetch: typeof import("undici").fetch }> | undefined;
  return async (url, init) => {
    const host = normalizeHost(new URL(url).hostname);
    if (isIP(host) !== 0 && !policy.allowedHosts.has(host)) {
      const range = refusedRange(host);
      if (range !== undefined) throw new OutboundRequestRefusedError(host, host, range);
    }
    client ??= import("undici").then(({ Agent, fetch }) => ({ agent: new Agent({ connect: { lookup: guardedLookup(policy) } }), fetch }));
    const { agent, fetch } = await client;
    try {
      return await fetch(url, { ...init, dispatcher: agent, redirect: "manual" });
    } catch (error) {
      // undici wraps what the lookup refused in "fetch failed": surface the refusal itself.
      if (error instanceof Error && error.cause instanceof OutboundRequestRefusedError) throw error.cause;
      throw error;
    }
  };
}

function guardedLookup(policy: OutboundPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, "", 0);
      if (!policy.allowedHosts.has(normalizeHost(hostname))) {
        // Every address the name has must be admitted: the socket may try each of them.
        for (const { address } of addresses) {
          const range = refusedRange(address);
          if (range !== undefined) return callback(new OutboundRequestRefusedError(hostname, address, range), "", 0);
        }
      }
      if (options.all) return callback(null, addresses);
      const [first] = addresses;
      if (!first) return callback(new Error(`${hostname} has no address`), "", 0);
      callback(null, first.address, first.family);
    });
  };
}
