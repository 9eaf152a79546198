/**
 * The V8 flags the API and the worker run with in production: their
 * `pnpm start`, their Dockerfiles, the README's commands and systemd unit,
 * the production-build test and the bench (so the bench measures what is
 * deployed). node-flags.test.ts checks that each of those places says the same.
 *
 * Why: with node's defaults on a large machine (a heap limit of a quarter of
 * the memory, 16 MB semi-spaces) V8 lets garbage pile up long before it
 * collects. Under the bench's processing load the worker's live heap was
 * 22 MB while its RSS reached 170 MB; the API serving 1,000 subscribers
 * reached 190-220 MB. A 1 GB heap limit puts V8 on its memory-saving growth
 * curve and 4 MB semi-spaces keep the young generation small: the same loads
 * peak near 95 MB (worker) and 135 MB (API) at the same speed (BENCHMARKS.md).
 * A deployment whose handlers hold more than ~1 GB at once raises
 * --max-old-space-size in its start command.
 */
export const productionNodeFlags = ["--max-old-space-size=1024", "--max-semi-space-size=4"] as const;

/**
 * The environment the API and the worker run with in production, beside the
 * flags above (and checked in the same places).
 *
 * Why: glibc's malloc gives each thread that allocates an arena of its own, and
 * node's threads (V8's GC helpers, libuv's pool) keep freed memory in theirs.
 * With one arena the worker's peak RSS under the bench's processing load (30,000
 * no-op runs at c100, local queue 500) was 95-99 MB in six drains against 100.5-105
 * with the default, at the same speed (BENCHMARKS.md, seventh pass). Only the
 * native allocations share the arena; V8's heap does not use malloc.
 */
export const productionEnvironment = { MALLOC_ARENA_MAX: "1" } as const;

/** `productionEnvironment` as shell assignments (`NAME=value …`), as start commands write it. */
export const productionEnvironmentText = Object.entries(productionEnvironment)
  .map(([name, value]) => `${name}=${value}`)
  .join(" ");
