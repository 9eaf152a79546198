/**
 * API tokens: created (shown once), listed, revoked, and checked on every
 * request. Only the SHA-256 of a token is stored.
 */
import { createHash, randomBytes } from "node:crypto";
import { and, desc, eq, isNull, lt, or, sql } from "drizzle-orm";
import { z } from "zod";
import { instantSchema } from "@conveyor/jobs";
import type { Database } from "../client";
import { TokenRejectedError } from "../errors";
import { apiTokens, auditLog, tokenRoles, type ApiTokenRow, type TokenRole } from "../schema";
import { systemViewer, type Viewer } from "./viewer";
import { auditActorOf } from "./audit-log";

const tokenPrefix = "cvy_";
/** "cvy_" and 32 random bytes in base64url. */
const tokenPattern = /^cvy_[A-Za-z0-9_-]{43}$/;

/** An authenticated caller: who they are and the limits of the token they used. */
export interface Principal extends Viewer {
  tokenId: string;
  limits: TokenLimits;
}

/** Per-token limits; null takes the API's default. */
export interface TokenLimits {
  submitRate: number | null;
  submitBurst: number | null;
  maxSubscriptions: number | null;
  maxUnfinishedRuns: number | null;
}

export const ownerIdSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, "letters, digits, '.', '_', '@' or '-', starting with a letter or digit");

export const createTokenInputSchema = z
  .object({
    ownerId: ownerIdSchema,
    role: z.enum(tokenRoles).default("user"),
    name: z
      .string()
      .max(200)
      .refine((name) => !name.includes("\u0000"), "must not contain a NUL character (\\u0000)")
      .default(""),
    /** When the token stops working (ISO 8601 with a time zone); never when absent. */
    expiresAt: instantSchema.refine((date) => date.getTime() > Date.now(), "must be in the future").optional(),
    submitRate: z.number().positive().max(1_000_000).optional(),
    submitBurst: z.number().int().min(1).max(1_000_000).optional(),
    maxSubscriptions: z.number().int().min(0).max(100_000).optional(),
    maxUnfinishedRuns: z.number().int().min(0).max(100_000_000).optional(),
  })
  .strict();
export type CreateTokenInput = z.input<typeof createTokenInputSchema>;

/** A token as lists show it: never the token, never its hash. */
export interface TokenInfo {
  id: string;
  ownerId: string;
  role: TokenRole;
  name: string;
  /** The token's first characters, e.g. "cvy_Ab3x". */
  prefix: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  limits: TokenLimits;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * Create a token, recorded in the audit log as done by `by` (an admin's
 * principal, the command line's viewer; the platform when not given). The
 * returned `token` is the only time it exists in clear.
 */
export async function createToken(db: Database, rawInput: CreateTokenInput, by: Viewer = systemViewer): Promise<{ token: string; info: TokenInfo }> {
  const input = createTokenInputSchema.parse(rawInput);
  const token = `${tokenPrefix}${randomBytes(32).toString("base64url")}`;
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(apiTokens)
      .values({
        ownerId: input.ownerId,
        role: input.role,
        name: input.name,
        hash: hashToken(token),
        prefix: token.slice(0, 8),
        expiresAt: input.expiresAt ?? null,
        submitRate: input.submitRate ?? null,
        submitBurst: input.submitBurst ?? null,
        maxSubscriptions: input.maxSubscriptions ?? null,
        maxUnfinishedRuns: input.maxUnfinishedRuns ?? null,
      })
      .returning();
    if (!row) throw new Error("inserting a token returned no row");
    const info = toTokenInfo(row);
    await tx.insert(auditLog).values({
      ...actorColumns(by),
      action: "token.created",
      targetId: info.id,
      details: { ownerId: info.ownerId, role: info.role, name: info.name, prefix: info.prefix, expiresAt: info.expiresAt?.toISOString() ?? null },
    });
    return { token, info };
  });
}

function actorColumns(viewer: Viewer) {
  const actor = auditActorOf(viewer);
  return { actorOwnerId: actor.ownerId, actorRole: actor.role, actorTokenId: actor.tokenId };
}

/** Tokens newest first: every token for an admin, the viewer's own otherwise. */
export async function listTokens(db: Database, viewer: Viewer): Promise<TokenInfo[]> {
  const rows = await db
    .select()
    .from(apiTokens)
    .where(viewer.role === "admin" ? undefined : eq(apiTokens.ownerId, viewer.ownerId))
    .orderBy(desc(apiTokens.createdAt));
  return rows.map(toTokenInfo);
}

/**
 * Revoke a token at once (its next request is refused), recorded in the audit
 * log as done by the viewer (a token already revoked is left, and logged, as it
 * was). Returns null when the viewer has no such token.
 */
export async function revokeToken(db: Database, viewer: Viewer, tokenId: string): Promise<TokenInfo | null> {
  const visible = and(eq(apiTokens.id, tokenId), viewer.role === "admin" ? undefined : eq(apiTokens.ownerId, viewer.ownerId));
  return db.transaction(async (tx) => {
    const [before] = await tx.select({ revokedAt: apiTokens.revokedAt }).from(apiTokens).where(visible).for("update");
    if (!before) return null;
    const [row] = await tx
      .update(apiTokens)
      .set({ revokedAt: sql`coalesce(${apiTokens.revokedAt}, now())` })
      .where(visible)
      .returning();
    if (!row) return null;
    const info = toTokenInfo(row);
    if (before.revokedAt === null) {
      await tx.insert(auditLog).values({ ...actorColumns(viewer), action: "token.revoked", targetId: info.id, details: { ownerId: info.ownerId, prefix: info.prefix } });
    }
    return info;
  });
}

/**
 * Check an `Authorization` header's value and return who it stands for.
 * Throws `TokenRejectedError` saying what is wrong (never echoing the token).
 */
export async function authenticate(db: Database, authorization: string | undefined): Promise<Principal> {
  return authenticateToken(db, readBearerToken(authorization));
}

/** The token of an `Authorization: Bearer <token>` header; throws `TokenRejectedError` naming what is wrong. */
export function readBearerToken(authorization: string | undefined): string {
  if (!authorization) throw new TokenRejectedError("missing token: send the header 'Authorization: Bearer <token>'");
  const match = /^Bearer +(\S+)$/i.exec(authorization.trim());
  if (!match?.[1]) throw new TokenRejectedError("malformed Authorization header: expected 'Bearer <token>'");
  return match[1];
}

/** `authenticate` for a bare token (as WebSocket connection parameters carry it). */
export async function authenticateToken(db: Database, token: string): Promise<Principal> {
  return (await checkToken(db, token)).principal;
}

/**
 * The NOTIFY channel on which every change to a token that matters to a
 * check (revoked, expiry, role, limits, deleted) is announced with the
 * token's id (see migration 0013), so an API process that keeps checked
 * tokens can forget one at once.
 */
export const tokenChangesChannel = "conveyor_tokens";

/** Check a bare token: its principal, and until when it holds (its expiry), for callers that keep the answer. */
export async function checkToken(db: Database, token: string): Promise<{ principal: Principal; hash: string; expiresAt: Date | null }> {
  if (!tokenPattern.test(token)) throw new TokenRejectedError("malformed token: expected 'cvy_' followed by 43 characters");
  const hash = hashToken(token);
  // Every request may run this: one prepared statement, not a query built anew each time.
  const [row] = await db.$client<TokenCheck[]>`
    select id, owner_id as "ownerId", role, prefix, expires_at as "expiresAt", revoked_at as "revokedAt", last_used_at as "lastUsedAt",
           submit_rate as "submitRate", submit_burst as "submitBurst", max_subscriptions as "maxSubscriptions",
           max_unfinished_runs as "maxUnfinishedRuns"
      from conveyor.api_tokens where hash = ${hash}`;
  if (!row) throw new TokenRejectedError("unknown token: it was never issued here");
  if (row.revokedAt) throw new TokenRejectedError(`token ${row.prefix}… was revoked at ${new Date(row.revokedAt).toISOString()}`);
  if (row.expiresAt && new Date(row.expiresAt).getTime() <= Date.now()) {
    throw new TokenRejectedError(`token ${row.prefix}… expired at ${new Date(row.expiresAt).toISOString()}`);
  }
  noteUse(db, { id: row.id, lastUsedAt: row.lastUsedAt ? new Date(row.lastUsedAt) : null });
  const { submitRate, submitBurst, maxSubscriptions, maxUnfinishedRuns } = row;
  return {
    principal: { tokenId: row.id, ownerId: row.ownerId, role: row.role, limits: { submitRate, submitBurst, maxSubscriptions, maxUnfinishedRuns } },
    hash,
    expiresAt: row.expiresAt ? new Date(row.expiresAt) : null,
  };
}

/**
 * What checking a token reads of its row. Times arrive as text: Drizzle's
 * driver turns off postgres.js' date parsing on the client it shares.
 */
type TokenCheck = Pick<ApiTokenRow, "id" | "ownerId" | "role" | "prefix"> & TokenLimits & {
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
};

/** Record when a token was last used, at most once a minute, without holding up the request. */
function noteUse(db: Database, row: Pick<ApiTokenRow, "id" | "lastUsedAt">): void {
  if (row.lastUsedAt && Date.now() - row.lastUsedAt.getTime() < 60_000) return;
  db.update(apiTokens)
    .set({ lastUsedAt: sql`now()` })
    .where(and(eq(apiTokens.id, row.id), or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, sql`now() - interval '1 minute'`))))
    .then(
      () => {},
      () => {},
    );
}

function toTokenInfo(row: ApiTokenRow): TokenInfo {
  return {
    id: row.id,
    ownerId: row.ownerId,
    role: row.role,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
    lastUsedAt: row.lastUsedAt,
    limits: {
      submitRate: row.submitRate,
      submitBurst: row.submitBurst,
      maxSubscriptions: row.maxSubscriptions,
      maxUnfinishedRuns: row.maxUnfinishedRuns,
    },
  };
}
