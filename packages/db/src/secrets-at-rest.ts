/**
 * Sensitive input fields at rest. A run's secrets (see `sensitive()` in a
 * contract) are sealed with AES-256-GCM before they are written and opened
 * only by the worker that runs the attempt; the row keeps the id of the key
 * that sealed them, so keys can be rotated (`pnpm conveyor secrets rotate`)
 * while runs wait. Each sealing is bound to its run id (additional
 * authenticated data), so sealed bytes copied onto another run do not open.
 *
 * Keys come from the environment:
 * - `CONVEYOR_SECRETS_KEY`: the current key, 32 random bytes in base64
 *   (`pnpm conveyor secrets generate-key`, or `openssl rand -base64 32`);
 * - or `CONVEYOR_SECRETS_KEY_FILE`: a file whose first key line is the
 *   current key and whose further lines are previous keys (`#` starts a comment);
 * - `CONVEYOR_SECRETS_PREVIOUS_KEYS`: previous keys, comma-separated, still
 *   accepted for opening until the rotation has re-sealed every run.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { ConveyorError } from "./errors";

/** What a run row keeps of its secrets: the sealed bytes and the id of the key that sealed them. */
export interface SealedSecrets {
  keyId: string;
  sealed: Buffer;
}

/** A key is missing, malformed, or does not open what it should; the message says which and how to fix it. */
export class SecretsKeyError extends ConveyorError {
  override readonly name = "SecretsKeyError";
}

const keyBytes = 32;
const ivBytes = 12;
const tagBytes = 16;
/** The first byte of every sealing: its format, so a later one can be told apart. */
const formatVersion = 1;

/** Where to get a key, said in every error about a missing one. */
export const secretsKeyHelp =
  "set CONVEYOR_SECRETS_KEY (32 random bytes in base64, e.g. from `pnpm conveyor secrets generate-key`) or CONVEYOR_SECRETS_KEY_FILE; `pnpm dev` makes one";

interface Key {
  id: string;
  bytes: Buffer;
}

/** The current key (which seals) and the previous ones (which only open). */
export class SecretsKeyring {
  private readonly byId = new Map<string, Key>();
  readonly current: Key | null;

  constructor(current: Buffer | null, previous: readonly Buffer[] = []) {
    this.current = current ? toKey(current) : null;
    for (const bytes of previous) {
      const key = toKey(bytes);
      this.byId.set(key.id, key);
    }
    if (this.current) this.byId.set(this.current.id, this.current);
  }

  /** Ids of every key this keyring can open with. */
  get keyIds(): readonly string[] {
    return [...this.byId.keys()];
  }

  /** Seal a run's secrets with the current key. */
  seal(secrets: Record<string, unknown>, runId: string): SealedSecrets {
    if (!this.current) throw new SecretsKeyError(`no secrets key to seal with: ${secretsKeyHelp}`);
    const iv = randomBytes(ivBytes);
    const cipher = createCipheriv("aes-256-gcm", this.current.bytes, iv);
    cipher.setAAD(additionalData(runId));
    const encrypted = Buffer.concat([cipher.update(JSON.stringify(secrets), "utf8"), cipher.final()]);
    return { keyId: this.current.id, sealed: Buffer.concat([Buffer.of(formatVersion), iv, cipher.getAuthTag(), encrypted]) };
  }

  /** Open what `seal` sealed for this run; throws a `SecretsKeyError` naming the key when it cannot. */
  open(sealed: SealedSecrets, runId: string): Record<string, unknown> {
    const key = this.byId.get(sealed.keyId);
    if (!key) {
      throw new SecretsKeyError(
        `the run's secrets are sealed with key ${sealed.keyId}, which this process does not have (it has: ${this.keyIds.join(", ") || "none"}); ` +
          "add that key to CONVEYOR_SECRETS_PREVIOUS_KEYS (or the key file) until `pnpm conveyor secrets rotate` has re-sealed every run",
      );
    }
    const bytes = sealed.sealed;
    if (bytes.length < 1 + ivBytes + tagBytes || bytes[0] !== formatVersion) {
      throw new SecretsKeyError(`the run's sealed secrets are not in a format this version reads (first byte ${bytes[0] ?? "none"})`);
    }
    const decipher = createDecipheriv("aes-256-gcm", key.bytes, bytes.subarray(1, 1 + ivBytes));
    decipher.setAAD(additionalData(runId));
    decipher.setAuthTag(bytes.subarray(1 + ivBytes, 1 + ivBytes + tagBytes));
    let plain: string;
    try {
      plain = Buffer.concat([decipher.update(bytes.subarray(1 + ivBytes + tagBytes)), decipher.final()]).toString("utf8");
    } catch {
      throw new SecretsKeyError(`the run's sealed secrets do not open with key ${sealed.keyId}: they were altered, or sealed for another run`);
    }
    const parsed: unknown = JSON.parse(plain);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new SecretsKeyError("the run's sealed secrets do not hold an object");
    }
    return Object.fromEntries(Object.entries(parsed));
  }
}

/** A new random key, in the form the environment takes. */
export function generateSecretsKey(): string {
  return randomBytes(keyBytes).toString("base64");
}

/** The keyring the environment describes (see the top of this file); throws a `SecretsKeyError` naming the variable at fault. */
export function keyringFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): SecretsKeyring {
  const inline = env.CONVEYOR_SECRETS_KEY?.trim() || undefined;
  const file = env.CONVEYOR_SECRETS_KEY_FILE?.trim() || undefined;
  if (inline && file) throw new SecretsKeyError("set CONVEYOR_SECRETS_KEY or CONVEYOR_SECRETS_KEY_FILE, not both");
  const previous = (env.CONVEYOR_SECRETS_PREVIOUS_KEYS ?? "")
    .split(",")
    .map((key) => key.trim())
    .filter((key) => key !== "")
    .map((key, n) => decodeKey(key, `CONVEYOR_SECRETS_PREVIOUS_KEYS (key ${n + 1})`));
  if (inline) return new SecretsKeyring(decodeKey(inline, "CONVEYOR_SECRETS_KEY"), previous);
  if (file) {
    const lines = readKeyFile(file);
    const [current, ...older] = lines.map((line, n) => decodeKey(line, `CONVEYOR_SECRETS_KEY_FILE (${file}, key ${n + 1})`));
    if (!current) throw new SecretsKeyError(`CONVEYOR_SECRETS_KEY_FILE (${file}) holds no key`);
    return new SecretsKeyring(current, [...older, ...previous]);
  }
  return new SecretsKeyring(null, previous);
}

let cached: { from: string; keyring: SecretsKeyring } | undefined;

/**
 * This process's keyring, from the environment (read again only when the
 * variables change). Every submit path seals with it and the worker opens with it.
 */
export function secretsKeyring(): SecretsKeyring {
  const from = [process.env.CONVEYOR_SECRETS_KEY, process.env.CONVEYOR_SECRETS_KEY_FILE, process.env.CONVEYOR_SECRETS_PREVIOUS_KEYS].join("\u0000");
  if (cached?.from !== from) cached = { from, keyring: keyringFromEnv() };
  return cached.keyring;
}

function readKeyFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new SecretsKeyError(`CONVEYOR_SECRETS_KEY_FILE (${path}) cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  return text
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .filter((line) => line !== "");
}

function decodeKey(text: string, where: string): Buffer {
  const normalised = text.replace(/-/g, "+").replace(/_/g, "/");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(normalised)) throw new SecretsKeyError(`${where}: must be base64 (${keyBytes} random bytes)`);
  const bytes = Buffer.from(normalised, "base64");
  if (bytes.length !== keyBytes) {
    throw new SecretsKeyError(`${where}: must be ${keyBytes} bytes in base64 (44 characters), got ${bytes.length} bytes`);
  }
  return bytes;
}

/** A key's id: a hash of it, so rows name their key without revealing anything about it. */
function toKey(bytes: Buffer): Key {
  if (bytes.length !== keyBytes) throw new SecretsKeyError(`a secrets key must be ${keyBytes} bytes, got ${bytes.length}`);
  return { id: createHash("sha256").update("conveyor secrets key id\u0000").update(bytes).digest("hex").slice(0, 16), bytes };
}

function additionalData(runId: string): Buffer {
  return Buffer.from(`conveyor.runs.secrets:${runId}`, "utf8");
}
