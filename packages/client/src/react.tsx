/**
 * React hooks for apps that show Conveyor runs, on @trpc/react-query:
 * `ConveyorProvider`, `useRun`, `useRuns`, `useSubmit`. Live updates come from
 * `jobs.events` subscriptions (SSE by default) patching react-query's cache.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { QueryClient, QueryClientProvider, skipToken, useMutation, type UseQueryResult } from "@tanstack/react-query";
import { createTRPCReact, type TRPCClientErrorLike } from "@trpc/react-query";
import type { AppRouter, RouterOutputs } from "@conveyor/api";
import { isFinished, type ConveyorCatalog, type JobInput, type JobType, type SubmitOptions } from "@conveyor/jobs";
import { applyRunEvent, needsRefresh, predates } from "./live-run";
import { createTransport, type TransportOptions } from "./transport/links";
import type { Run, RunFilter, RunPage, WireRunEvent } from "./types";

/** tRPC's React hooks for every procedure of the API (`conveyorTrpc.queues.stats.useQuery()` …), inside `ConveyorProvider`. */
export const conveyorTrpc = createTRPCReact<AppRouter>();

export interface ConveyorProviderProps extends TransportOptions {
  children: ReactNode;
  /** The app's own QueryClient, to share its cache (default: one of the provider's own). */
  queryClient?: QueryClient;
}

/**
 * Connects the hooks below to a Conveyor API. `url` is the tRPC endpoint
 * (`/trpc` on the page's origin, or another origin listed in the API's
 * `CONVEYOR_CORS_ORIGINS`); the token travels in the Authorization header,
 * SSE included. A new url, token or transport makes a new client.
 */
export function ConveyorProvider({ children, queryClient, ...options }: ConveyorProviderProps) {
  const [ownQueryClient] = useState(() => new QueryClient());
  const client = queryClient ?? ownQueryClient;
  const { url, token, subscriptions, WebSocket } = options;
  const headers = JSON.stringify(options.headers ?? {});
  const trpcClient = useMemo(
    // A WebSocket closes by itself a second after its last subscription ends: nothing to clean up.
    () => conveyorTrpc.createClient({ links: createTransport({ url, token, subscriptions, WebSocket, headers: JSON.parse(headers) }).links }),
    [url, token, subscriptions, WebSocket, headers],
  );
  return (
    <conveyorTrpc.Provider client={trpcClient} queryClient={client}>
      <QueryClientProvider client={client}>{children}</QueryClientProvider>
    </conveyorTrpc.Provider>
  );
}

/**
 * One run (`jobs.get`), kept live by a subscription to its events: status,
 * progress and error follow each event (the history the stream replays first
 * never winds a freshly read run back); the run is read again when it
 * finishes, for its output, attempts and dates. Returns react-query's result:
 * `data` is the run (narrow on `data.type` for its contract's input, output
 * and progress data). `id` may be null or undefined while there is none.
 */
export function useRun(id: string | null | undefined): UseQueryResult<Run<JobType<ConveyorCatalog>>, TRPCClientErrorLike<AppRouter>> {
  const utils = conveyorTrpc.useUtils();
  const run = conveyorTrpc.jobs.get.useQuery(id ? { id } : skipToken);
  const loaded = run.data !== undefined;
  // Events that arrive before the run's first read are kept, and applied on top of that read.
  const early = useRef<WireRunEvent[]>([]);
  const apply = useCallback(
    (runId: string, events: readonly WireRunEvent[]) => {
      utils.jobs.get.setData({ id: runId }, (cached) =>
        cached ? events.reduce((current, event) => (predates(current, event) ? current : applyRunEvent(current, event)), cached) : cached,
      );
      if (events.some(needsRefresh)) void utils.jobs.get.invalidate({ id: runId });
    },
    [utils],
  );
  useEffect(() => {
    const waiting = early.current.filter((event) => event.runId === id);
    early.current = [];
    if (id && loaded && waiting.length > 0) apply(id, waiting);
  }, [id, loaded, apply]);

  // A run's stream ends when the run finishes; if it ends earlier (a retried run's history holds
  // an earlier failure), it is opened again after the last event received.
  const lastEvent = useRef<{ runId: string; id: string; finished: boolean } | null>(null);
  const [resume, setResume] = useState<{ runId: string; after: string } | null>(null);
  const lastEventId = resume && resume.runId === id ? resume.after : null;
  conveyorTrpc.jobs.events.useSubscription(id ? { id, lastEventId } : skipToken, {
    onData: ({ data: event }) => {
      if (event.runId !== id) return;
      lastEvent.current = { runId: id, id: event.id, finished: isFinished(event.status) };
      if (utils.jobs.get.getData({ id }) === undefined) {
        early.current.push(event);
        return;
      }
      const waiting = early.current.filter((earlier) => earlier.runId === id);
      early.current = [];
      apply(id, [...waiting, event]);
    },
    onComplete: () => {
      const last = lastEvent.current;
      if (last && last.runId === id && !last.finished) setResume({ runId: last.runId, after: last.id });
    },
  });
  // tRPC's inferred type flattens the union of job types; this one narrows on `type`.
  return run as UseQueryResult<Run<JobType<ConveyorCatalog>>, TRPCClientErrorLike<AppRouter>>;
}

/** How long list refreshes triggered by events are gathered into one (ms). */
const listRefreshDelayMs = 250;

/**
 * A page of `jobs.list` (newest first; `filter`: status, type, queue, search,
 * limit, cursor), kept live by ONE subscription to the events of every run the
 * token may see: runs on the page follow their progress and status in place;
 * a new run that may belong on the page, a run leaving the page's status, or
 * a run on the page finishing reloads the page (at most once per 250 ms).
 */
export function useRuns(filter: RunFilter = {}): UseQueryResult<RunPage, TRPCClientErrorLike<AppRouter>> {
  const utils = conveyorTrpc.useUtils();
  const page = conveyorTrpc.jobs.list.useQuery(filter);
  const filterKey = JSON.stringify(filter);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const refresh = useCallback(() => {
    timer.current ??= setTimeout(() => {
      timer.current = undefined;
      void utils.jobs.list.invalidate(JSON.parse(filterKey) as RunFilter);
    }, listRefreshDelayMs);
  }, [utils, filterKey]);
  useEffect(() => () => clearTimeout(timer.current), []);

  conveyorTrpc.jobs.events.useSubscription(undefined, {
    // Whatever changed between reading the page and the stream starting.
    onStarted: refresh,
    onData: ({ data: event }) => {
      let onPage = false;
      utils.jobs.list.setData(filter, (cached) => {
        if (!cached) return cached;
        return {
          ...cached,
          items: cached.items.map((run) => {
            if (run.id !== event.runId) return run;
            onPage = true;
            return predates(run, event) ? run : applyRunEvent(run, event);
          }),
        };
      });
      const mayJoin =
        !onPage && event.kind === "queued" && !filter.cursor && (!filter.type || filter.type === event.type) && (!filter.status || filter.status === "queued");
      const mayLeave = onPage && filter.status !== undefined && event.status !== filter.status;
      if (mayJoin || mayLeave || (onPage && needsRefresh(event))) refresh();
    },
  });
  return page as UseQueryResult<RunPage, TRPCClientErrorLike<AppRouter>>;
}

/** What `useSubmit(type).mutate` takes: the contract's input and per-run options. */
export interface SubmitVariables<K extends JobType<ConveyorCatalog>> {
  input: JobInput<ConveyorCatalog[K]>;
  options?: SubmitOptions;
}

/**
 * A react-query mutation submitting runs of one job type, its input typed by
 * the contract: `submit.mutate({ input, options })`; `submit.data` is
 * `{ id, status, deduplicated }`. Run lists reload after each submission.
 */
export function useSubmit<K extends JobType<ConveyorCatalog>>(type: K) {
  const utils = conveyorTrpc.useUtils();
  return useMutation({
    mutationFn: ({ input, options }: SubmitVariables<K>): Promise<RouterOutputs["jobs"]["submit"]> =>
      utils.client.jobs.submit.mutate({ type, input, ...(options ? { options } : {}) } as Parameters<typeof utils.client.jobs.submit.mutate>[0]),
    onSuccess: () => utils.jobs.list.invalidate(),
  });
}
