import type { AnyJobDefinition } from "./define-job";

/** A set of job types keyed by name: the value every other package is typed from. */
export type Catalog = { readonly [name: string]: AnyJobDefinition };

/** Turns a list of job types into a catalogue keyed by their names. */
export type CatalogOf<Jobs extends readonly AnyJobDefinition[]> = {
  readonly [J in Jobs[number] as J["name"]]: J;
};

/**
 * Build a catalogue from job types, refusing two types with one name.
 *
 * @example
 * export const catalog = defineCatalog([documentAnalyze, webhookDeliver]);
 * catalog["document.analyze"].defaults.timeoutMs;
 */
export function defineCatalog<const Jobs extends readonly AnyJobDefinition[]>(jobs: Jobs): CatalogOf<Jobs> {
  const byName: Record<string, AnyJobDefinition> = {};
  const queueOwners = new Map<string, AnyJobDefinition>();
  for (const job of jobs) {
    if (byName[job.name]) throw new Error(`defineCatalog: job type "${job.name}" is defined twice`);
    byName[job.name] = job;
    const other = queueOwners.get(job.defaults.queue);
    if (other && other.defaults.queueConcurrency !== job.defaults.queueConcurrency) {
      throw new Error(
        `defineCatalog: queue "${job.defaults.queue}" has queueConcurrency ${other.defaults.queueConcurrency} in "${other.name}" ` +
          `but ${job.defaults.queueConcurrency} in "${job.name}"`,
      );
    }
    queueOwners.set(job.defaults.queue, job);
  }
  return Object.freeze(byName) as CatalogOf<Jobs>;
}

/** The names of a catalogue's job types. */
export type JobType<C extends Catalog> = Extract<keyof C, string>;

/** Look a job type up by a name that arrived at run time (from an API call or a queued job). */
export function findJob<C extends Catalog>(catalog: C, name: string): C[JobType<C>] | undefined {
  return Object.hasOwn(catalog, name) ? (catalog[name] as C[JobType<C>]) : undefined;
}

/**
 * The graphile-worker job queue a run waits in: none for the default queue
 * (as many at once as workers allow); the queue itself when it runs one at a
 * time; one of `queueConcurrency` lanes otherwise (picked from the run id),
 * so at most that many run at once across all workers. Lanes are not
 * work-conserving: a long run holds its lane while another lane may be free.
 */
export function laneOf(catalog: Catalog, queue: string, runId: string): string | null {
  if (queue === "default") return null;
  const concurrency = Object.values(catalog).find((job) => job.defaults.queue === queue)?.defaults.queueConcurrency ?? 1;
  if (concurrency <= 1) return queue;
  return `${queue}#${Number.parseInt(runId.slice(-6), 16) % concurrency}`;
}
