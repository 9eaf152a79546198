/**
 * Which addresses outbound requests (webhook deliveries) may reach. A user's
 * token chooses the URL, so without a policy the workers would POST
 * wherever it points: the worker's own loopback, the private network, a
 * cloud's metadata service (169.254.169.254, fd00:ec2::254). By default only
 * public unicast addresses are admitted; hosts named in the allowlist
 * (CONVEYOR_OUTBOUND_ALLOWED_HOSTS) are admitted whatever they resolve to.
 */
import ipaddr from "ipaddr.js";
import { z } from "zod";

export interface OutboundPolicy {
  /** Host names and IP literals (lower case, IPv6 without brackets) admitted whatever their address. */
  allowedHosts: ReadonlySet<string>;
}

/** The setting's name, for errors and docs. */
export const allowedHostsSetting = "CONVEYOR_OUTBOUND_ALLOWED_HOSTS";

/** "a.example, 127.0.0.1, [::1]": comma-separated host names or IP literals, no ports or schemes. */
export const allowedHostsSchema = z
  .string()
  .default("")
  .transform((text) => text.split(",").map((host) => normalizeHost(host.trim())).filter((host) => host !== ""))
  .pipe(z.array(z.string().regex(/^[a-z0-9.\-_:]+$/, "each entry is a host name or an IP address, without a scheme, port or path")));

/** The policy the environment sets; throws, naming the setting, when it is malformed. */
export function outboundPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): OutboundPolicy {
  const parsed = allowedHostsSchema.safeParse(env[allowedHostsSetting]);
  if (!parsed.success) throw new Error(`${allowedHostsSetting}: ${parsed.error.issues.map((issue) => issue.message).join("; ")}`);
  return { allowedHosts: new Set(parsed.data) };
}

/** A URL's host as the allowlist holds it: lower case, IPv6 literals without their brackets. */
export function normalizeHost(host: string): string {
  return host.toLowerCase().replace(/^\[(.*)\]$/, "$1");
}

/** Why the policy refuses an address, in words ("loopback", "link-local"…); undefined when it is admitted. */
export function refusedRange(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return "not an IP address";
  // process() turns an IPv4-mapped IPv6 address (::ffff:127.0.0.1) into the IPv4 address it maps.
  const range = ipaddr.process(address).range();
  if (range === "unicast") return undefined;
  return rangeNames[range] ?? `reserved (${range})`;
}

const rangeNames: Record<string, string> = {
  loopback: "loopback",
  private: "private",
  uniqueLocal: "private (unique local)",
  linkLocal: "link-local (where cloud metadata services answer)",
  carrierGradeNat: "carrier-grade NAT",
  multicast: "multicast",
  unspecified: "unspecified",
  broadcast: "broadcast",
};

/** The refusal of one request, naming the host, the address and the rule. */
export class OutboundRequestRefusedError extends Error {
  override readonly name = "OutboundRequestRefusedError";
  constructor(host: string, address: string, range: string) {
    const target = host === address ? address : `${host} (${address})`;
    super(
      `refused to connect to ${target}: a ${range} address. Outbound requests go only to public addresses; ` +
        `admit a host by naming it in ${allowedHostsSetting}`,
    );
  }
}
