import { describe, expect, it } from "vitest";
import { readEnv } from "../env";
import { outboundPolicyFromEnv, refusedRange } from "./address-policy";

describe("the outbound address policy", () => {
  it("admits public unicast addresses, IPv4 and IPv6", () => {
    for (const address of ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]) expect(refusedRange(address)).toBeUndefined();
  });

  it("reads the allowlist as host names and IP literals, in upper or lower case and with IPv6 brackets", () => {
    const policy = outboundPolicyFromEnv({ CONVEYOR_OUTBOUND_ALLOWED_HOSTS: " Receiver.Internal, 127.0.0.1 ,[::1]," });
    expect([...policy.allowedHosts]).toEqual(["receiver.internal", "127.0.0.1", "::1"]);
    expect([...outboundPolicyFromEnv({}).allowedHosts]).toEqual([]);
  });

  it("refuses a malformed allowlist at the worker's start, naming the setting and the rule", () => {
    const env = { DATABASE_URL: "postgres://127.0.0.1/conveyor", CONVEYOR_OUTBOUND_ALLOWED_HOSTS: "https://receiver.internal:8443" };
    expect(() => readEnv(env)).toThrow(/each entry is a host name or an IP address, without a scheme, port or path\n  → at CONVEYOR_OUTBOUND_ALLOWED_HOSTS/);
  });
});
