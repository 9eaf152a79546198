/** CPU time from /proc, for probes that split a drain's cost between PostgreSQL and everything else. */
import { readdirSync, readFileSync } from "node:fs";
import { processCpuSeconds } from "../processes";

const ticksPerSecond = 100;

/** Busy CPU time of the whole machine so far (every core, user and system), in seconds. */
export function machineCpuSeconds(): number {
  const [, ...ticks] = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").split(/\s+/).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks;
  return (user + nice + system + irq + softirq + steal) / ticksPerSecond;
}

/**
 * CPU time of the PostgreSQL processes alive now, in seconds: the server's backends of every
 * database, so a probe reads it around work that is the only load on the server. A backend that
 * exits in between takes its time with it, so the connections measured must outlive the reading.
 */
export function postgresCpuSeconds(): number {
  let total = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/comm`, "utf8").startsWith("postgres")) continue;
      total += processCpuSeconds(Number(entry));
    } catch {
      // The process exited while being read.
    }
  }
  return total;
}
