import type postgres from "postgres";
import { closeDatabase, connectPostgres, createDatabase, parseAnnouncement, readEventsByIds, type Database, type RunEvent } from "@conveyor/db";

/** What a subscription receives: an event, or word that events may have been missed and must be re-read. */
export type HubItem = { kind: "event"; event: RunEvent } | { kind: "resync" };

/** Events waiting for a slow subscriber before it is told to re-read from the database instead. */
const maxBuffered = 5_000;

/**
 * One LISTEN connection per API process, fanned out to every subscriber of
 * this process. A NOTIFY carries the events themselves (see
 * `parseAnnouncement`), so the hub hands each to the subscribers of its run
 * and to those watching all runs as it arrives, in the order Postgres
 * announced them; an event too large for a notification comes as its id,
 * and the hub reads those in one query per batch (only when someone
 * listens), holding back what was announced after them meanwhile.
 */
export class EventHub {
  private readonly byRun = new Map<string, Set<HubSubscription>>();
  private readonly everything = new Set<HubSubscription>();
  /** Announced and not yet delivered: events, and ids of events still to be read. */
  private announced: (RunEvent | number)[] = [];
  private reading: Promise<void> | null = null;
  private listener: postgres.Sql | null = null;
  /**
   * The hub's own connection for reading announced events: behind the API's pool, they
   * waited for whatever else was queued there (1,000 streams opening at once held them for seconds).
   */
  private reader: Database | null = null;
  private listening = false;

  constructor(private readonly databaseUrl: string) {}

  async start(): Promise<void> {
    this.reader = createDatabase(this.databaseUrl, { max: 1 });
    this.listener = connectPostgres(this.databaseUrl, { max: 1 });
    await this.listener.listen(
      "conveyor_events",
      (payload) => this.onAnnounced(payload),
      () => {
        // Called again after a reconnect: anything announced meanwhile was missed, so every stream re-reads.
        if (this.listening) for (const subscription of this.all()) subscription.push({ kind: "resync" });
        this.listening = true;
      },
    );
  }

  async stop(): Promise<void> {
    for (const subscription of this.all()) subscription.close();
    await this.listener?.end({ timeout: 5 });
    this.listener = null;
    if (this.reader) await closeDatabase(this.reader);
    this.reader = null;
  }

  /** Receive the events of one run (runId) or of every run (null), from now on, until the signal aborts. */
  subscribe(runId: string | null, signal: AbortSignal): HubSubscription {
    const subscription = new HubSubscription(() => this.remove(runId, subscription));
    signal.addEventListener("abort", () => subscription.close(), { once: true });
    if (runId === null) {
      this.everything.add(subscription);
    } else {
      const set = this.byRun.get(runId) ?? new Set();
      set.add(subscription);
      this.byRun.set(runId, set);
    }
    return subscription;
  }

  /** Whether the LISTEN connection is set up (between start and stop). */
  get isListening(): boolean {
    return this.listener !== null && this.listening;
  }

  get subscriberCount(): number {
    let count = this.everything.size;
    for (const set of this.byRun.values()) count += set.size;
    return count;
  }

  private remove(runId: string | null, subscription: HubSubscription): void {
    if (runId === null) {
      this.everything.delete(subscription);
      return;
    }
    const set = this.byRun.get(runId);
    set?.delete(subscription);
    if (set?.size === 0) this.byRun.delete(runId);
  }

  private *all(): Iterable<HubSubscription> {
    yield* this.everything;
    for (const set of this.byRun.values()) yield* set;
  }

  private onAnnounced(payload: string): void {
    if (this.subscriberCount === 0) return;
    let items: (RunEvent | number)[];
    try {
      items = parseAnnouncement(payload);
    } catch {
      // Not an announcement this API understands: the events are in the table, streams catch up from there.
      for (const subscription of this.all()) subscription.push({ kind: "resync" });
      return;
    }
    if (this.reading === null && items.every((item) => typeof item !== "number")) {
      for (const item of items) if (typeof item !== "number") this.deliver(item);
      return;
    }
    this.announced.push(...items);
    this.reading ??= this.readAnnounced();
  }

  /** Read the events announced by id so far in one query, deliver everything in order, repeat while more arrives. */
  private async readAnnounced(): Promise<void> {
    try {
      while (this.announced.length > 0) {
        const items = this.announced;
        this.announced = [];
        try {
          if (!this.reader) return;
          const ids = items.filter((item): item is number => typeof item === "number");
          const read = new Map((await readEventsByIds(this.reader, ids)).map((event) => [event.id, event]));
          for (const item of items) {
            const event = typeof item === "number" ? read.get(item) : item;
            if (event) this.deliver(event);
          }
        } catch {
          // The events are in the table; streams that missed them catch up from there.
          for (const subscription of this.all()) subscription.push({ kind: "resync" });
        }
      }
    } finally {
      this.reading = null;
    }
  }

  private deliver(event: RunEvent): void {
    // One item for every subscriber: a subscriber never changes it.
    const item: HubItem = { kind: "event", event };
    for (const subscription of this.everything) subscription.push(item);
    const forRun = this.byRun.get(event.runId);
    if (forRun) for (const subscription of forRun) subscription.push(item);
  }
}

/**
 * A subscriber's queue, read with `next()`. A progress report supersedes an
 * earlier one of the same run still waiting here: the stale one is dropped
 * and the new one joins the end, so a subscriber that falls behind receives
 * the latest progress instead of a growing backlog, and still receives
 * events in the order they were announced (a stream resumed by event id
 * relies on that; it re-reads the full history from the table).
 */
export class HubSubscription {
  private buffer: Waiting[] = [];
  /** The last item waiting for each run, so a newer progress report can supersede it. */
  private lastWaiting = new Map<string, Waiting>();
  private wake: (() => void) | null = null;
  private closed = false;

  constructor(private readonly onClose: () => void) {}

  push(item: HubItem): void {
    if (this.closed) return;
    if (this.buffer.length >= maxBuffered) {
      // Too far behind: drop the backlog and re-read it from the table when the reader gets here.
      this.buffer = [{ item: { kind: "resync" }, superseded: false }];
      this.lastWaiting.clear();
      this.wake?.();
      return;
    }
    const waiting: Waiting = { item, superseded: false };
    if (item.kind === "event") {
      const previous = this.lastWaiting.get(item.event.runId);
      if (previous?.item.kind === "event" && previous.item.event.kind === "progress" && item.event.kind === "progress") {
        previous.superseded = true;
      }
      this.lastWaiting.set(item.event.runId, waiting);
    }
    this.buffer.push(waiting);
    this.wake?.();
  }

  /** The next item, or null once the subscription is closed. */
  async next(): Promise<HubItem | null> {
    while (!this.closed) {
      const waiting = this.buffer.shift();
      if (waiting) {
        const { item } = waiting;
        if (item.kind === "event" && this.lastWaiting.get(item.event.runId) === waiting) {
          this.lastWaiting.delete(item.event.runId);
        }
        if (!waiting.superseded) return item;
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
    return null;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.buffer = [];
    this.lastWaiting.clear();
    this.wake?.();
    this.onClose();
  }
}

interface Waiting {
  item: HubItem;
  /** A newer progress report of the same run arrived: skip this one. */
  superseded: boolean;
}
