import { and, eq, getTableColumns, ilike, lt, or, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { runStatusSchema, type Catalog } from "@conveyor/jobs";
import type { Database } from "../client";
import { InvalidRequestError, RunNotFoundError } from "../errors";
import { runs } from "../schema";
import { visibleRuns, type Viewer } from "../access/viewer";
import { toRun, toRunSummary, type Run, type RunSummary } from "../run-view";

/** One run, if the viewer may see it (another owner's run is "not found", like a run that does not exist). */
export async function getRun<C extends Catalog>(db: Database, viewer: Viewer, runId: string): Promise<Run<C>> {
  const [row] = await db.select().from(runs).where(and(eq(runs.id, runId), visibleRuns(viewer)));
  if (!row) throw new RunNotFoundError(runId);
  return toRun<C>(row);
}

/** A filter's text: PostgreSQL text holds no NUL character, so one would fail the query rather than match nothing. */
const filterText = (max: number) => z.string().min(1).max(max).refine((text) => !text.includes("\u0000"), "must not contain a NUL character (\\u0000)");

export const listRunsInputSchema = z
  .object({
    status: runStatusSchema.optional(),
    type: filterText(200).optional(),
    queue: filterText(64).optional(),
    /** A run id, the start of one, or words of the run's label (case-insensitive). */
    search: filterText(200).optional(),
    /** Runs per page (default: 20, at most 100). */
    limit: z.number().int().min(1).max(100).default(20),
    /** `nextCursor` of the previous page. */
    cursor: z.string().max(200).nullish(),
    /** Sent by tRPC's infinite queries; pages always go from newest to oldest. */
    direction: z.enum(["forward", "backward"]).optional(),
  })
  .strict();
export type ListRunsInput = z.input<typeof listRunsInputSchema>;

export interface RunPage<C extends Catalog> {
  /** Runs without input and output (read a run with `getRun` for those). */
  items: RunSummary<C>[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** Runs newest first, filtered, a page at a time (keyset pagination: stable while runs are added). */
export async function listRuns<C extends Catalog>(db: Database, viewer: Viewer, rawInput: ListRunsInput = {}): Promise<RunPage<C>> {
  const input = listRunsInputSchema.parse(rawInput);
  const filters: SQL[] = [];
  const visible = visibleRuns(viewer);
  if (visible) filters.push(visible);
  if (input.status) filters.push(eq(runs.status, input.status));
  if (input.type) filters.push(eq(runs.type, input.type));
  if (input.queue) filters.push(eq(runs.queue, input.queue));
  if (input.search) filters.push(matchesSearch(input.search.trim()));
  if (input.cursor) {
    const after = decodeCursor(input.cursor);
    const older = or(
      lt(runs.createdAt, after.createdAt),
      and(eq(runs.createdAt, after.createdAt), lt(runs.id, after.id)),
    );
    if (older) filters.push(older);
  }
  const { input: _input, output: _output, secrets: _secrets, ...summaryColumns } = getTableColumns(runs);
  const rows = await db
    .select(summaryColumns)
    .from(runs)
    .where(and(...filters))
    // "nulls last" as the indexes are built (Drizzle's desc() alone means nulls first, which no index
    // serves: the newest page of 1,000,000 runs was a sort of all of them, 0.9 s, instead of 0.1 ms).
    .orderBy(sql`${runs.createdAt} desc nulls last`, sql`${runs.id} desc nulls last`)
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => toRunSummary<C>(row)),
    nextCursor: rows.length > input.limit && last ? encodeCursor(last.createdAt, last.id) : null,
  };
}

/** A whole id matches by the primary key; otherwise the start of an id, or a part of the label. */
function matchesSearch(search: string): SQL {
  if (z.uuid().safeParse(search).success) return eq(runs.id, search);
  const literal = search.replace(/[\\%_]/g, (char) => `\\${char}`);
  return or(sql`${runs.id}::text like ${`${literal.toLowerCase()}%`}`, ilike(runs.label, `%${literal}%`)) ?? sql`false`;
}

const cursorSchema = z.tuple([z.iso.datetime(), z.uuid()]);

function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString("base64url");
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [createdAt, id] = cursorSchema.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
    return { createdAt: new Date(createdAt), id };
  } catch {
    throw new InvalidRequestError([{ path: "cursor", message: "is not a cursor returned by jobs.list" }]);
  }
}
