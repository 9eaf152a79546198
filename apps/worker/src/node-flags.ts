/**
 * The V8 flags the worker runs with in production: `pnpm start`, the
 * Dockerfile, the systemd example in the README, and the bench's worker
 * processes (so the bench measures what is deployed). node-flags.test.ts
 * checks that each of those places says the same.
 *
 * Why: with node's defaults on a large machine (a heap limit of a quarter of
 * the memory, 16 MB semi-spaces) V8 lets garbage pile up long before it
 * collects: under the bench's processing load the worker's live heap was
 * 22 MB while its RSS reached 170 MB. A 1 GB heap limit puts V8 on its
 * memory-saving growth curve and 4 MB semi-spaces keep the young generation
 * small: the same load peaks near 100 MB at the same throughput (BENCHMARKS.md).
 * A deployment whose handlers hold more than ~1 GB at once raises
 * --max-old-space-size (a later flag wins: `node --max-old-space-size=4096 …`
 * in place of the start script).
 */
export const workerNodeFlags = ["--max-old-space-size=1024", "--max-semi-space-size=4"] as const;
