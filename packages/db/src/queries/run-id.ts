import { randomFillSync } from "node:crypto";
import { v7 as uuidv7 } from "uuid";

/**
 * Random bytes for run ids, drawn from the system 4 KB at a time: uuid takes 16 bytes through
 * `crypto.getRandomValues` for each id, which was 1.9% of the API's CPU under single submits.
 */
const pool = new Uint8Array(4096);
let taken = pool.length;

/**
 * A new run id: time-ordered (UUIDv7, RFC 9562), so each new run and its events land at the
 * right edge of the runs and run_events indexes instead of on random pages of them, and a table
 * holding a million finished runs is not read back from disk on every submit and completion
 * (BENCHMARKS.md, growth). The last 62 bits are random, which is what laneOf hashes. Ids made
 * in the same millisecond are not ordered among themselves (nothing relies on it: lists order
 * by creation time, then id).
 */
export function newRunId(): string {
  if (taken === pool.length) {
    randomFillSync(pool);
    taken = 0;
  }
  const random = pool.subarray(taken, taken + 16);
  taken += 16;
  return uuidv7({ random });
}
