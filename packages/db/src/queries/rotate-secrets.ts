import type { SqlClient } from "../client";
import { SecretsKeyError, type SecretsKeyring } from "../secrets-at-rest";

/** What a rotation did. */
export interface SecretsRotation {
  /** Runs whose secrets were opened with a previous key and sealed again with the current one. */
  resealed: number;
  /** Runs submitted before secrets were sealed (migration 0017) whose plaintext secrets are now sealed. */
  sealedPlaintext: number;
  /** Runs left as they were because no key of the keyring opens them, by the id of their key. */
  unopened: Record<string, number>;
}

/** Runs rewritten per transaction: small enough that a rotation on a busy table holds its row locks briefly. */
const runsPerBatch = 500;

/**
 * Seal every run's secrets with the keyring's current key: runs sealed with
 * a previous key are opened and sealed again, and plaintext secrets left by
 * runs from before migration 0017 are sealed (and cleared). Safe while
 * workers run: each batch locks its rows, and a worker that reads a run in
 * between finds it sealed by a key it still has (keep the previous keys
 * configured until this reports nothing unopened). Rerunning it is harmless.
 */
export async function rotateSecrets(sql: SqlClient, keyring: SecretsKeyring): Promise<SecretsRotation> {
  const current = keyring.current;
  if (!current) throw new SecretsKeyError("no current secrets key to rotate to: set CONVEYOR_SECRETS_KEY or CONVEYOR_SECRETS_KEY_FILE");
  const result: SecretsRotation = { resealed: 0, sealedPlaintext: 0, unopened: {} };
  let after = "00000000-0000-0000-0000-000000000000";
  for (;;) {
    const done = await sql.begin(async (tx) => {
      const rows = await tx<{ id: string; sealedSecrets: Buffer | null; secretsKeyId: string | null; secrets: Record<string, unknown> | null }[]>`
        select id, sealed_secrets as "sealedSecrets", secrets_key_id as "secretsKeyId", secrets
          from conveyor.runs
         where id > ${after}::uuid
           and (secrets is not null or (sealed_secrets is not null and secrets_key_id is distinct from ${current.id}))
         order by id
         limit ${runsPerBatch}
           for update`;
      const updates: { id: string; sealed: string; keyId: string }[] = [];
      for (const row of rows) {
        let secrets = row.secrets;
        if (row.sealedSecrets && row.secretsKeyId) {
          try {
            secrets = keyring.open({ keyId: row.secretsKeyId, sealed: row.sealedSecrets }, row.id);
          } catch (error) {
            if (!(error instanceof SecretsKeyError)) throw error;
            result.unopened[row.secretsKeyId] = (result.unopened[row.secretsKeyId] ?? 0) + 1;
            continue;
          }
          result.resealed++;
        } else {
          result.sealedPlaintext++;
        }
        const sealed = keyring.seal(secrets ?? {}, row.id);
        updates.push({ id: row.id, sealed: sealed.sealed.toString("base64"), keyId: sealed.keyId });
      }
      if (updates.length > 0) {
        await tx`
          update conveyor.runs r
             set sealed_secrets = decode(u.sealed, 'base64'), secrets_key_id = u."keyId", secrets = null
            from jsonb_to_recordset(${JSON.stringify(updates)}::jsonb) as u(id uuid, sealed text, "keyId" text)
           where r.id = u.id`;
      }
      const last = rows.at(-1);
      if (last) after = last.id;
      return rows.length < runsPerBatch;
    });
    if (done) return result;
  }
}
