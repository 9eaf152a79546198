import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { defineCatalog, defineJob, sensitive } from "@conveyor/jobs";
import { createTestDatabase } from "../testing";
import { createToken, authenticateToken } from "../access/tokens";
import { defaultLimits } from "../access/limits";
import { submitWithinLimits } from "../access/submit-within-limits";
import { InvalidRequestError } from "../errors";
import { generateSecretsKey, keyringFromEnv, secretsKeyring, SecretsKeyring } from "../secrets-at-rest";
import { claimRuns, openRunSecrets } from "./run-transitions";
import { prepareSubmission } from "./prepare-submission";
import { rotateSecrets } from "./rotate-secrets";
import { submit } from "./submit";
import { submitMany } from "./submit-many";

const mailScan = defineJob({
  name: "test.mail-scan",
  description: "Scans a mailbox with an access token",
  input: z.object({ mailbox: z.string(), auth: z.object({ accessToken: sensitive(z.string().min(8)) }) }),
  output: z.object({}),
  progress: z.object({}),
});
const catalog = defineCatalog([mailScan]);
const token = "ya29.a-very-secret-oauth-token";
const input = { mailbox: "alice@example.com", auth: { accessToken: token } };

const { db } = await createTestDatabase();
const testKey = process.env.CONVEYOR_SECRETS_KEY;

afterEach(() => {
  process.env.CONVEYOR_SECRETS_KEY = testKey;
  delete process.env.CONVEYOR_SECRETS_PREVIOUS_KEYS;
});

async function stored(id: string) {
  const [row] = await db.$client<{ secrets: unknown; sealed: Buffer | null; keyId: string | null; input: unknown }[]>`
    select secrets, sealed_secrets as sealed, secrets_key_id as "keyId", input from conveyor.runs where id = ${id}`;
  if (!row) throw new Error(`run ${id} is not stored`);
  return row;
}

/** Start the run as a worker would, and open its secrets as the worker does. */
async function claimAndOpen(id: string, keyring: SecretsKeyring = secretsKeyring()) {
  const [started] = await claimRuns(db.$client, [{ runId: id, attempt: 1 }], { workerId: "test-worker", startedAt: new Date().toISOString() });
  if (!started) throw new Error(`run ${id} did not start`);
  return openRunSecrets(started, keyring);
}

async function countRuns(): Promise<number> {
  const [row] = await db.$client<{ n: number }[]>`select count(*)::int as n from conveyor.runs`;
  return row?.n ?? 0;
}

describe("sensitive fields at rest", () => {
  it("are sealed by every submit path, with the key's id, and open for the worker", async () => {
    const principal = await authenticateToken(db, (await createToken(db, { ownerId: "alice" })).token);
    const [viaApi] = await submitWithinLimits(db.$client, [{ principal, prepared: [prepareSubmission(catalog, { type: "test.mail-scan", input, ownerId: "alice" })] }], defaultLimits);
    if (!viaApi?.ok) throw new Error("the API path refused the submit");
    const ids = [
      (await submit(db, catalog, { type: "test.mail-scan", input })).id,
      ...(await submitMany(db, catalog, [{ type: "test.mail-scan", input }])).map((run) => run.id),
      ...viaApi.submitted.map((run) => run.id),
    ];
    for (const id of ids) {
      const row = await stored(id);
      expect(row.secrets).toBeNull();
      expect(row.keyId).toBe(secretsKeyring().current?.id);
      expect(row.sealed?.toString("latin1")).not.toContain("very-secret");
      expect(JSON.stringify(row.input)).not.toContain("very-secret");
      expect(await claimAndOpen(id)).toEqual({ "auth.accessToken": token });
    }
  });

  it("are refused, naming the field, when no key is configured; nothing is written", async () => {
    delete process.env.CONVEYOR_SECRETS_KEY;
    const before = await countRuns();
    const refusal = await submit(db, catalog, { type: "test.mail-scan", input }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(InvalidRequestError);
    expect((refusal as InvalidRequestError).issues).toEqual([
      { path: "input.auth.accessToken", message: expect.stringMatching(/^is sensitive, and this server has no key to store it encrypted: set CONVEYOR_SECRETS_KEY/) },
    ]);
    const batch = await submitMany(db, catalog, [{ type: "test.mail-scan", input }]).catch((error: unknown) => error);
    expect((batch as InvalidRequestError).issues[0]?.path).toBe("items.0.input.auth.accessToken");
    expect(await countRuns()).toBe(before);
  });

  it("are re-sealed with the new key by a rotation, plaintext ones from before sealing included", async () => {
    const oldKey = testKey ?? "";
    const sealedWithOld = (await submit(db, catalog, { type: "test.mail-scan", input })).id;
    // A run as migration 0017 found it: plaintext secrets, nothing sealed.
    const legacy = (await submit(db, catalog, { type: "test.mail-scan", input: { ...input, auth: { accessToken: "legacy-secret-1" } } })).id;
    await db.$client`update conveyor.runs set secrets = ${JSON.stringify({ "auth.accessToken": "legacy-secret-1" })}::jsonb, sealed_secrets = null, secrets_key_id = null where id = ${legacy}`;

    const newKey = generateSecretsKey();
    process.env.CONVEYOR_SECRETS_KEY = newKey;
    process.env.CONVEYOR_SECRETS_PREVIOUS_KEYS = oldKey;
    const keyring = secretsKeyring();
    const result = await rotateSecrets(db.$client, keyring);
    expect(result.resealed).toBeGreaterThanOrEqual(1);
    expect(result.sealedPlaintext).toBe(1);
    expect(result.unopened).toEqual({});
    const [remaining] = await db.$client<{ n: number }[]>`
      select count(*)::int as n from conveyor.runs where secrets is not null or (sealed_secrets is not null and secrets_key_id <> ${keyring.current?.id ?? ""})`;
    expect(remaining?.n).toBe(0);
    expect(await rotateSecrets(db.$client, keyring)).toEqual({ resealed: 0, sealedPlaintext: 0, unopened: {} });

    // The old key can go: the new one alone opens both runs.
    const newOnly = keyringFromEnv({ CONVEYOR_SECRETS_KEY: newKey });
    expect(await claimAndOpen(sealedWithOld, newOnly)).toEqual({ "auth.accessToken": token });
    expect(await claimAndOpen(legacy, newOnly)).toEqual({ "auth.accessToken": "legacy-secret-1" });
    expect((await stored(legacy)).secrets).toBeNull();
  });

  it("are left alone, and reported, when sealed with a key the rotation does not have", async () => {
    const id = (await submit(db, catalog, { type: "test.mail-scan", input })).id;
    const before = await stored(id);
    const unrelated = keyringFromEnv({ CONVEYOR_SECRETS_KEY: generateSecretsKey() });
    const result = await rotateSecrets(db.$client, unrelated);
    expect(result.unopened[before.keyId ?? ""]).toBeGreaterThanOrEqual(1);
    expect((await stored(id)).sealed?.equals(before.sealed ?? Buffer.alloc(0))).toBe(true);
  });
});
