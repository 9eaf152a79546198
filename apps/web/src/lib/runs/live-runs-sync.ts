import { matchQuery, type Query, type QueryClient } from "@tanstack/react-query";
import { getQueryKey } from "@trpc/react-query";
import { trpc } from "../trpc";
import { createFrameBatch } from "./frame-batch";
import { listQueryInputOf, runIdOfGetQuery } from "./list-query-input";
import { mayEnterFilter } from "./runs-filter";
import { applyPatch, changesStatus, foldEvent, type RunPatch } from "./run-patch";
import type { RunEvent, RunEventKind, RunStatus, RunsPageData } from "./run-types";

type TrpcUtils = ReturnType<typeof trpc.useUtils>;

/** Every cached `jobs.list` page, whatever its input; every cached `jobs.get`. */
const listKey = getQueryKey(trpc.jobs.list);
const getKey = getQueryKey(trpc.jobs.get);

/**
 * How long what the stream told about a run is remembered after its last
 * event: long enough to outlast any fetch that was under way meanwhile.
 */
const rememberMs = 30_000;
/** A first page that may have gained runs reloads at most this often. */
const reloadEveryMs = 1_000;

/** What one batch of events told about one run. */
interface Touched {
  type: string;
  status: RunStatus;
  kinds: Set<RunEventKind>;
}

/**
 * Keeps every cached `jobs.list` page and `jobs.get` run current from the
 * one stream of all runs' events, without refetching what events can tell:
 *
 * - events are applied in batches, at most once per animation frame;
 * - each batch patches the runs every cached page holds, and the cached run;
 * - a run a first page does not hold reloads that page (throttled) when it
 *   may belong there (a new run, or one moving into the filtered status);
 * - what the stream told lately is applied again to any page or run that a
 *   fetch brings in, since the fetch may have read the run before the event.
 */
export class LiveRunsSync {
  private readonly recent = new Map<string, { patch: RunPatch; at: number }>();
  private readonly batch = createFrameBatch<RunEvent>((events) => this.apply(events));
  private readonly reloadTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly lastReload = new Map<string, number>();

  constructor(
    private readonly utils: TrpcUtils,
    private readonly queryClient: QueryClient,
  ) {}

  /** Start watching fetches; returns the way to stop. */
  start(): () => void {
    const unsubscribe = this.queryClient.getQueryCache().subscribe((event) => {
      // `manual` successes are our own setData calls.
      if (event.type === "updated" && event.action.type === "success" && !event.action.manual) this.reapply(event.query);
    });
    return () => {
      unsubscribe();
      this.batch.dispose();
      for (const timer of this.reloadTimers.values()) clearTimeout(timer);
      this.reloadTimers.clear();
    };
  }

  receive(event: RunEvent): void {
    this.batch.push(event);
  }

  private apply(events: RunEvent[]): void {
    const now = Date.now();
    const touched = new Map<string, Touched>();
    for (const event of events) {
      const previous = this.recent.get(event.runId);
      // Delete first so the map stays ordered by last event, which `forget` relies on.
      this.recent.delete(event.runId);
      this.recent.set(event.runId, { patch: foldEvent(previous?.patch, event), at: now });
      const seen = touched.get(event.runId) ?? { type: event.type, status: event.status, kinds: new Set<RunEventKind>() };
      seen.status = event.status;
      seen.kinds.add(event.kind);
      touched.set(event.runId, seen);
    }
    this.forget(now);
    this.patchPages(touched);
    this.patchRuns(touched);
  }

  private forget(now: number): void {
    for (const [runId, { at }] of this.recent) {
      if (now - at < rememberMs) break;
      this.recent.delete(runId);
    }
  }

  private patchPages(touched: Map<string, Touched>): void {
    for (const query of this.queryClient.getQueryCache().findAll({ queryKey: listKey })) {
      const held = new Set<string>();
      this.utils.jobs.list.setQueriesData(undefined, { predicate: (candidate) => candidate === query }, (page) =>
        page ? this.patchPage(page, (runId) => touched.has(runId), held) : page,
      );
      if (this.pageMayHaveChanged(query, touched, held)) this.reload(query);
    }
  }

  /** The page with the remembered patches of the chosen runs applied; undefined when none changed. */
  private patchPage(page: RunsPageData, chosen: (runId: string) => boolean, held: Set<string>): RunsPageData | undefined {
    let changed = false;
    const items = page.items.map((run) => {
      const remembered = chosen(run.id) ? this.recent.get(run.id) : undefined;
      if (!remembered) return run;
      held.add(run.id);
      const next = applyPatch(run, remembered.patch);
      if (next !== run) changed = true;
      return next;
    });
    return changed ? { ...page, items } : undefined;
  }

  /**
   * A run queued again (a retry) changes fields events do not carry (its
   * attempt budget); a first page may gain runs it does not hold yet.
   */
  private pageMayHaveChanged(query: Query, touched: Map<string, Touched>, held: Set<string>): boolean {
    const { filter, cursor } = listQueryInputOf(query.queryKey);
    for (const [runId, run] of touched) {
      const queued = run.kinds.has("queued");
      if (held.has(runId)) {
        if (queued) return true;
      } else if (cursor === null) {
        const statusChanged = [...run.kinds].some(changesStatus);
        if (mayEnterFilter(filter, { type: run.type, status: run.status, statusChanged, queued })) return true;
      }
    }
    return false;
  }

  private patchRuns(touched: Map<string, Touched>): void {
    for (const [runId, run] of touched) {
      const remembered = this.recent.get(runId);
      if (!remembered || this.utils.jobs.get.getData({ id: runId }) === undefined) continue;
      this.utils.jobs.get.setData({ id: runId }, (cached) => (cached ? applyPatch(cached, remembered.patch) : cached));
      // Only these bring fields events do not carry: the result, or a fresh attempt budget.
      if (run.kinds.has("completed") || run.kinds.has("queued")) void this.utils.jobs.get.invalidate({ id: runId });
    }
  }

  /** A fetch landed: it may predate events received while it was under way. */
  private reapply(query: Query): void {
    if (this.recent.size === 0) return;
    if (matchQuery({ queryKey: listKey }, query)) {
      this.utils.jobs.list.setQueriesData(undefined, { predicate: (candidate) => candidate === query }, (page) =>
        page ? this.patchPage(page, () => true, new Set()) : page,
      );
    } else if (matchQuery({ queryKey: getKey }, query)) {
      const runId = runIdOfGetQuery(query.queryKey);
      const remembered = runId ? this.recent.get(runId) : undefined;
      if (runId && remembered) this.utils.jobs.get.setData({ id: runId }, (run) => (run ? applyPatch(run, remembered.patch) : run));
    }
  }

  /**
   * Refetch a page, at most once per `reloadEveryMs`; a request within that
   * time is served at its end. A fetch under way is never cancelled for a new
   * one (in a burst of thousands of new runs, on a slow server, each would
   * cancel the one before and none would land): the reload waits for it.
   */
  private reload(query: Query): void {
    const hash = query.queryHash;
    if (this.reloadTimers.has(hash)) return;
    const later = (ms: number) => this.reloadTimers.set(hash, setTimeout(fire, ms));
    const fire = () => {
      this.reloadTimers.delete(hash);
      if (query.state.fetchStatus === "fetching") {
        later(reloadEveryMs / 4);
        return;
      }
      this.lastReload.set(hash, Date.now());
      void this.queryClient.invalidateQueries({ queryKey: query.queryKey, exact: true }, { cancelRefetch: false });
    };
    const wait = (this.lastReload.get(hash) ?? 0) + reloadEveryMs - Date.now();
    if (wait <= 0) fire();
    else later(wait);
  }
}
