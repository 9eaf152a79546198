/**
 * `pnpm conveyor token create|list|revoke`: manage API tokens straight in the
 * database (the way to make the first admin token; admins can also use the
 * `tokens.*` procedures). The new token goes to stdout, alone, so scripts can
 * capture it; everything else goes to stderr.
 *
 * `pnpm conveyor secrets generate-key|rotate`: make a key for sealing
 * sensitive input fields, and seal every run's secrets with the current key.
 */
import { existsSync } from "node:fs";
import { userInfo } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { z } from "zod";
import {
  closeDatabase,
  createDatabase,
  createToken,
  generateSecretsKey,
  keyringFromEnv,
  listTokens,
  migrate,
  revokeToken,
  rotateSecrets,
  type TokenInfo,
  type Viewer,
} from "@conveyor/db";

/** Where `pnpm dev` keeps its embedded PostgreSQL when no DATABASE_URL is set. */
const devDatabaseUrl = "postgres://postgres:postgres@127.0.0.1:54329/conveyor";
/** The key `pnpm dev` makes for its database (see scripts/dev.ts). */
const devSecretsKeyFile = fileURLToPath(new URL("../../../.conveyor/secrets.key", import.meta.url));

const usage = `Usage:
  pnpm conveyor token create --owner <id> [--role user|admin] [--name <text>]
                             [--expires-in <30d|12h|90m>] [--rate <runs/s>] [--burst <runs>]
                             [--max-subscriptions <n>] [--max-unfinished <n>]
  pnpm conveyor token list [--owner <id>]
  pnpm conveyor token revoke <token id>
  pnpm conveyor secrets generate-key
  pnpm conveyor secrets rotate

Uses DATABASE_URL, or the database of \`pnpm dev\` (${devDatabaseUrl.replace(/:[^:@/]+@/, ":***@")}).
\`secrets rotate\` seals every run's sensitive fields with the current key (CONVEYOR_SECRETS_KEY or
CONVEYOR_SECRETS_KEY_FILE, with the old keys in CONVEYOR_SECRETS_PREVIOUS_KEYS or the key file's
later lines; with the database of \`pnpm dev\`, its key file).`;

class UsageError extends Error {}

/** Who the audit log names for what this command does: whoever runs it has the database's keys, so an admin. */
const cliViewer: Viewer = { ownerId: `cli:${safeUserName()}`, role: "admin" };

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? "unknown";
  }
}

async function main(argv: string[]): Promise<void> {
  const [noun, verb, ...rest] = argv;
  if ((noun !== "token" && noun !== "secrets") || !verb) throw new UsageError("expected a command such as `token create` or `secrets rotate`");
  if (noun === "secrets" && verb === "generate-key") {
    // Only the key on stdout, so `pnpm -s conveyor secrets generate-key > key` makes a key file.
    process.stdout.write(`${generateSecretsKey()}\n`);
    return;
  }
  const databaseUrl = process.env.DATABASE_URL ?? devDatabaseUrl;
  await migrate(databaseUrl).catch((error: unknown) => {
    throw new UsageError(`cannot reach the database (${error instanceof Error ? error.message : String(error)}): set DATABASE_URL, or start \`pnpm dev\``);
  });
  const db = createDatabase(databaseUrl, { max: 1 });
  try {
    if (noun === "secrets") {
      if (verb !== "rotate") throw new UsageError(`unknown command "secrets ${verb}"`);
      await rotate(db);
    } else if (verb === "create") await create(db, rest);
    else if (verb === "list") await list(db, rest);
    else if (verb === "revoke") await revoke(db, rest);
    else throw new UsageError(`unknown command "token ${verb}"`);
  } finally {
    await closeDatabase(db);
  }
}

type Db = ReturnType<typeof createDatabase>;

async function create(db: Db, args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      owner: { type: "string" },
      role: { type: "string", default: "user" },
      name: { type: "string", default: "" },
      "expires-in": { type: "string" },
      rate: { type: "string" },
      burst: { type: "string" },
      "max-subscriptions": { type: "string" },
      "max-unfinished": { type: "string" },
    },
    strict: true,
  });
  if (!values.owner) throw new UsageError("--owner is required");
  const number = (flag: string, value: string | undefined) => (value === undefined ? undefined : numberFlag(flag, value));
  const parsedRole = z.enum(["user", "admin"]).safeParse(values.role);
  if (!parsedRole.success) throw new UsageError(`--role must be user or admin, not "${values.role}"`);
  const { token, info } = await createToken(db, {
    ownerId: values.owner,
    role: parsedRole.data,
    name: values.name,
    expiresAt: values["expires-in"] ? new Date(Date.now() + durationMs(values["expires-in"])) : undefined,
    submitRate: number("--rate", values.rate),
    submitBurst: number("--burst", values.burst),
    maxSubscriptions: number("--max-subscriptions", values["max-subscriptions"]),
    maxUnfinishedRuns: number("--max-unfinished", values["max-unfinished"]),
  }, cliViewer).catch((error: unknown) => {
    if (error instanceof z.ZodError) throw new UsageError(z.prettifyError(error));
    throw error;
  });
  process.stderr.write(`Created ${describe(info)}\nThe token is shown only this once:\n`);
  process.stdout.write(`${token}\n`);
}

async function list(db: Db, args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { owner: { type: "string" } }, strict: true });
  const tokens = (await listTokens(db, cliViewer)).filter((token) => !values.owner || token.ownerId === values.owner);
  if (tokens.length === 0) process.stderr.write("No tokens.\n");
  for (const token of tokens) process.stdout.write(`${token.id}  ${describe(token)}\n`);
}

async function revoke(db: Db, args: string[]): Promise<void> {
  const { positionals } = parseArgs({ args, allowPositionals: true, strict: true });
  const id = z.uuid().safeParse(positionals[0]);
  if (!id.success) throw new UsageError("give the id of the token to revoke (a UUID, see `token list`)");
  const revoked = await revokeToken(db, cliViewer, id.data);
  if (!revoked) throw new UsageError(`no token has the id ${id.data}`);
  process.stderr.write(`Revoked ${describe(revoked)}\n`);
}

async function rotate(db: Db): Promise<void> {
  const configured = process.env.CONVEYOR_SECRETS_KEY || process.env.CONVEYOR_SECRETS_KEY_FILE;
  const useDevKey = !configured && !process.env.DATABASE_URL && existsSync(devSecretsKeyFile);
  const keyring = keyringFromEnv(useDevKey ? { ...process.env, CONVEYOR_SECRETS_KEY_FILE: devSecretsKeyFile } : process.env);
  if (!keyring.current) throw new UsageError("no current key: set CONVEYOR_SECRETS_KEY or CONVEYOR_SECRETS_KEY_FILE (see `secrets generate-key`)");
  const result = await rotateSecrets(db.$client, keyring);
  process.stderr.write(`Sealed with key ${keyring.current.id}: ${result.resealed} runs re-sealed from a previous key, ${result.sealedPlaintext} runs' plaintext secrets sealed\n`);
  const unopened = Object.entries(result.unopened);
  if (unopened.length > 0) {
    for (const [keyId, runs] of unopened) process.stderr.write(`Not opened: ${runs} runs sealed with key ${keyId}, which is not configured\n`);
    throw new Error("some runs are sealed with keys this command does not have: add them to CONVEYOR_SECRETS_PREVIOUS_KEYS and run it again");
  }
}

function describe(token: TokenInfo): string {
  const state = token.revokedAt
    ? `revoked ${token.revokedAt.toISOString()}`
    : token.expiresAt
      ? `expires ${token.expiresAt.toISOString()}`
      : "no expiry";
  return `${token.prefix}… owner=${token.ownerId} role=${token.role}${token.name ? ` name="${token.name}"` : ""} (${state})`;
}

function numberFlag(flag: string, value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new UsageError(`${flag} must be a number, not "${value}"`);
  return parsed;
}

const unitMs: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 };

/** "30d", "12h", "90m", "45s" in milliseconds. */
function durationMs(text: string): number {
  const match = /^(\d+)([dhms])$/.exec(text);
  const unit = match?.[2] === undefined ? undefined : unitMs[match[2]];
  if (!match?.[1] || unit === undefined) throw new UsageError(`--expires-in must look like 30d, 12h, 90m or 45s, not "${text}"`);
  return Number(match[1]) * unit;
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof UsageError) process.stderr.write(`conveyor: ${error.message}\n\n${usage}\n`);
    else process.stderr.write(`conveyor: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
