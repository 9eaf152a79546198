import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** `ip …`, failing with what it printed (it needs root and iproute2). */
async function ip(...args: string[]): Promise<void> {
  try {
    await run("ip", args);
  } catch (error) {
    const stderr = typeof error === "object" && error !== null && "stderr" in error ? String(error.stderr).trim() : String(error);
    throw new Error(`ip ${args.join(" ")} failed (network namespaces need root and iproute2): ${stderr}`);
  }
}

/** Whether this machine lets the test make network namespaces (root with iproute2). */
export async function canMakeNamespaces(): Promise<boolean> {
  const probe = `cvprobe${process.pid % 100_000}`;
  try {
    await run("ip", ["netns", "add", probe]);
    await run("ip", ["netns", "delete", probe]);
    return true;
  } catch {
    return false;
  }
}

/** A veth pair between the host and a namespace, each end with an address of a /30 of its own. */
export interface NamespaceLink {
  /** The host's end: what processes in the namespace connect to. */
  hostAddress: string;
  /** The namespace's end: what the host connects to. */
  namespaceAddress: string;
  /**
   * Partition the link: the host's end goes down, so whatever the namespace sends on it is dropped
   * without an answer (no reset, no refusal): connections hang, as across a real partition.
   */
  cut(): Promise<void>;
  /** Bring it back: connections that hung resume when TCP retransmits. */
  heal(): Promise<void>;
}

export interface NetworkNamespace {
  name: string;
  /** The command and arguments that run `argv` inside the namespace (same process: `ip netns exec` execs it). */
  command(argv: readonly string[]): { command: string; args: string[] };
  /** A new link to the host. */
  addLink(): Promise<NamespaceLink>;
  /** Delete the namespace and its links (processes still in it keep running, cut off). */
  remove(): Promise<void>;
}

let namespaces = 0;
let links = 0;
// The /30s come from 10.213.0.0/16, offset by the process id so two test runs on one machine rarely meet.
const subnetBase = (process.pid * 7) % 16_000;

/**
 * A network namespace of the test's own, with only loopback until links are
 * added. Names and addresses carry the process id; `remove()` tears it all down.
 */
export async function createNamespace(): Promise<NetworkNamespace> {
  const name = `conveyor-${process.pid}-${namespaces++}`;
  await ip("netns", "add", name);
  await ip("-n", name, "link", "set", "lo", "up");
  return {
    name,
    command: (argv) => ({ command: "ip", args: ["netns", "exec", name, ...argv] }),
    async addLink() {
      const index = links++;
      const subnet = (subnetBase + index) % 16_000;
      const prefix = `10.213.${Math.floor(subnet / 64)}.${(subnet % 64) * 4}`;
      const [a, b, c, d] = prefix.split(".").map(Number) as [number, number, number, number];
      const hostAddress = `${a}.${b}.${c}.${d + 1}`;
      const namespaceAddress = `${a}.${b}.${c}.${d + 2}`;
      // Interface names are at most 15 characters.
      const tag = `${process.pid % 100_000}${index}`;
      const hostEnd = `cvh${tag}`;
      const namespaceEnd = `cvn${tag}`;
      await ip("link", "add", hostEnd, "type", "veth", "peer", "name", namespaceEnd, "netns", name);
      await ip("addr", "add", `${hostAddress}/30`, "dev", hostEnd);
      await ip("link", "set", hostEnd, "up");
      await ip("-n", name, "addr", "add", `${namespaceAddress}/30`, "dev", namespaceEnd);
      await ip("-n", name, "link", "set", namespaceEnd, "up");
      return {
        hostAddress,
        namespaceAddress,
        cut: () => ip("link", "set", hostEnd, "down"),
        heal: () => ip("link", "set", hostEnd, "up"),
      };
    },
    // Deleting the namespace deletes its veth ends, and with them their host ends.
    remove: () => ip("netns", "delete", name),
  };
}
