/**
 * `pnpm dev`: run the whole stack. With no DATABASE_URL, start an embedded
 * PostgreSQL whose data lives in .conveyor/postgres (ignored by git), then
 * apply migrations, issue a development admin token (revoking the previous
 * one), make a development secrets key in .conveyor/secrets.key unless one
 * is configured, and run `turbo dev` (api, worker, web) against it.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { closeDatabase, createDatabase, createToken, generateSecretsKey, migrate } from "@conveyor/db";
import { startEmbeddedPostgres, type RunningPostgres } from "@conveyor/db/embedded";

const root = fileURLToPath(new URL("..", import.meta.url));
const embeddedPort = Number(process.env.CONVEYOR_PG_PORT ?? 54329);

let embedded: RunningPostgres | undefined;
let databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  console.log(`[dev] no DATABASE_URL: starting embedded PostgreSQL on 127.0.0.1:${embeddedPort} (data in .conveyor/postgres)`);
  embedded = await startEmbeddedPostgres({ dataDir: `${root}.conveyor/postgres`, port: embeddedPort });
  databaseUrl = await ensureDatabase(embedded.url, "conveyor");
}
await migrate(databaseUrl);
console.log(`[dev] database ready: ${databaseUrl.replace(/:[^:@/]+@/, ":***@")}`);
const devToken = await issueDevToken(databaseUrl);
const webPort = Number(process.env.CONVEYOR_WEB_PORT ?? 5173);
console.log(`[dev] development token (admin "dev", valid 7 days): ${devToken}`);
console.log(`[dev] open http://localhost:${webPort}/#token=${devToken} to sign in to the web app`);

// Sensitive input fields (a webhook's signing secret) are stored sealed, so the stack needs a key.
const secretsKeyEnv = process.env.CONVEYOR_SECRETS_KEY || process.env.CONVEYOR_SECRETS_KEY_FILE ? {} : { CONVEYOR_SECRETS_KEY_FILE: devSecretsKeyFile() };

const turbo = spawn("pnpm", ["exec", "turbo", "run", "dev", "--ui=stream"], {
  cwd: root,
  stdio: "inherit",
  // Human-readable logs for people at a terminal (production logs are JSON lines).
  // Webhooks to local receivers (a test endpoint on this machine) are what developers try first;
  // production refuses loopback and private addresses unless CONVEYOR_OUTBOUND_ALLOWED_HOSTS names them.
  env: { CONVEYOR_LOG_FORMAT: "pretty", CONVEYOR_OUTBOUND_ALLOWED_HOSTS: "localhost,127.0.0.1,::1", ...secretsKeyEnv, ...process.env, DATABASE_URL: databaseUrl },
});

let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    if (turbo.exitCode === null) turbo.kill("SIGTERM");
    await new Promise((resolve) => (turbo.exitCode === null ? turbo.once("exit", resolve) : resolve(null)));
    await embedded?.stop();
  }
  process.exit(code);
}
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void stop(0));
turbo.on("exit", (code) => void stop(code ?? 0));

/** The development key (made on the first `pnpm dev`, kept so runs sealed yesterday still open today). */
function devSecretsKeyFile(): string {
  const path = `${root}.conveyor/secrets.key`;
  if (!existsSync(path)) {
    mkdirSync(`${root}.conveyor`, { recursive: true });
    writeFileSync(path, `# Conveyor's development secrets key (made by pnpm dev; not for production)\n${generateSecretsKey()}\n`, { mode: 0o600 });
    console.log(`[dev] made a development secrets key in .conveyor/secrets.key`);
  }
  return path;
}

/** A fresh admin token for this session; the one of the previous `pnpm dev` stops working. */
async function issueDevToken(url: string): Promise<string> {
  const db = createDatabase(url, { max: 1 });
  try {
    await db.$client`update conveyor.api_tokens set revoked_at = now() where owner_id = 'dev' and name = 'pnpm dev' and revoked_at is null`;
    const { token } = await createToken(db, {
      ownerId: "dev",
      role: "admin",
      name: "pnpm dev",
      expiresAt: new Date(Date.now() + 7 * 24 * 60 * 60 * 1000),
    }, { ownerId: "cli:pnpm dev", role: "admin" });
    return token;
  } finally {
    await closeDatabase(db);
  }
}

/** The embedded server starts with only `postgres`; give Conveyor a database of its own. */
async function ensureDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    const [existing] = await admin`select 1 from pg_database where datname = ${name}`;
    if (!existing) await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
