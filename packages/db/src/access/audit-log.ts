/**
 * The audit log: who created and revoked tokens, cancelled and retried runs,
 * and retried failed runs in bulk. Each action writes its entry in its own
 * statement or transaction (an action that did nothing, such as a refused
 * cancel, writes none), so the log holds every action that took effect and
 * nothing else. The actor is the viewer the action was done as: a token's
 * owner, role and id through the API; `cli:<os user>` from the command line.
 */
import { z } from "zod";
import type { SqlClient } from "../client";
import { ForbiddenError } from "../errors";
import { auditActions, type AuditAction } from "@conveyor/jobs";
import type { Viewer } from "./viewer";

/** Who an entry names as the actor. */
export interface AuditActor {
  ownerId: string;
  role: Viewer["role"];
  /** The token of the request (null: the command line or the platform itself). */
  tokenId: string | null;
}

/** The actor of an action done as this viewer (an authenticated principal carries its token's id). */
export function auditActorOf(viewer: Viewer): AuditActor {
  const tokenId = "tokenId" in viewer && typeof viewer.tokenId === "string" ? viewer.tokenId : null;
  return { ownerId: viewer.ownerId, role: viewer.role, tokenId };
}

/**
 * The start of a data-modifying CTE that records `action` by `viewer`; the
 * caller follows it with a subquery giving `target_id` and `details`, e.g.
 * `audited as (${recordAudit(sql, viewer, "run.cancelled")} (select id::text as target_id, null::jsonb as details from cancelled) entry)`.
 * PostgreSQL runs every data-modifying CTE, referenced or not, in the action's own statement.
 */
export function recordAudit(sql: SqlClient, viewer: Viewer, action: AuditAction) {
  const actor = auditActorOf(viewer);
  return sql`
    insert into conveyor.audit_log (actor_owner_id, actor_role, actor_token_id, action, target_id, details)
    select ${actor.ownerId}::text, ${actor.role}::conveyor.token_role, ${actor.tokenId}::uuid, ${action}::text, entry.target_id, entry.details
      from`;
}

export const listAuditLogInputSchema = z
  .object({
    action: z.enum(auditActions).optional(),
    /** Entries of one actor (a token's owner, or `cli:<user>`). */
    actor: z.string().min(1).max(200).optional(),
    /** Entries older than this one (the `nextCursor` of the previous page). */
    cursor: z.number().int().positive().nullish(),
    /** Sent by tRPC's infinite queries; only older pages exist here. */
    direction: z.enum(["forward", "backward"]).optional(),
    limit: z.number().int().min(1).max(200).default(50),
  })
  .strict();
export type ListAuditLogInput = z.input<typeof listAuditLogInputSchema>;

/** One entry as admins read it. */
export interface AuditEntry extends AuditActor {
  id: number;
  at: Date;
  action: AuditAction;
  targetId: string | null;
  details: Record<string, unknown> | null;
}

/** The log newest first, a page at a time (admins only). */
export async function listAuditLog(
  sql: SqlClient,
  viewer: Viewer,
  rawInput: ListAuditLogInput = {},
): Promise<{ entries: AuditEntry[]; nextCursor: number | null }> {
  if (viewer.role !== "admin") throw new ForbiddenError("the audit log is for admins");
  const input = listAuditLogInputSchema.parse(rawInput);
  const rows = await sql<AuditEntry[]>`
    select id::int as id, at, actor_owner_id as "ownerId", actor_role as role, actor_token_id as "tokenId", action, target_id as "targetId", details
      from conveyor.audit_log
     where true
       ${input.action ? sql`and action = ${input.action}` : sql``}
       ${input.actor ? sql`and actor_owner_id = ${input.actor}` : sql``}
       ${input.cursor ? sql`and id < ${input.cursor}` : sql``}
     order by id desc
     limit ${input.limit + 1}`;
  const entries = rows.slice(0, input.limit);
  return { entries, nextCursor: rows.length > input.limit ? (entries.at(-1)?.id ?? null) : null };
}
