import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateSecretsKey, keyringFromEnv, SecretsKeyError, SecretsKeyring } from "./secrets-at-rest";

const keyA = Buffer.from(generateSecretsKey(), "base64");
const keyB = Buffer.from(generateSecretsKey(), "base64");
const runId = "0193a5e2-0000-7000-8000-000000000001";
const otherRunId = "0193a5e2-0000-7000-8000-000000000002";
const secrets = { "auth.accessToken": "ya29.very-secret-token", pin: 1234 };

describe("sealing a run's secrets", () => {
  it("opens what it sealed, and the sealed bytes do not contain the secret", () => {
    const keyring = new SecretsKeyring(keyA);
    const sealed = keyring.seal(secrets, runId);
    expect(sealed.keyId).toBe(keyring.current?.id);
    expect(sealed.sealed.toString("latin1")).not.toContain("very-secret");
    expect(keyring.open(sealed, runId)).toEqual(secrets);
    // A fresh nonce every time: the same secrets never seal to the same bytes.
    expect(keyring.seal(secrets, runId).sealed.equals(sealed.sealed)).toBe(false);
  });

  it("refuses bytes copied onto another run, or altered", () => {
    const keyring = new SecretsKeyring(keyA);
    const sealed = keyring.seal(secrets, runId);
    expect(() => keyring.open(sealed, otherRunId)).toThrow(/do not open with key .*altered, or sealed for another run/);
    const altered = Buffer.from(sealed.sealed);
    altered[altered.length - 1] = (altered[altered.length - 1] ?? 0) ^ 1;
    expect(() => keyring.open({ ...sealed, sealed: altered }, runId)).toThrow(SecretsKeyError);
  });

  it("opens with a previous key after a rotation, and names a key it does not have", () => {
    const sealedWithA = new SecretsKeyring(keyA).seal(secrets, runId);
    const rotated = new SecretsKeyring(keyB, [keyA]);
    expect(rotated.open(sealedWithA, runId)).toEqual(secrets);
    expect(rotated.seal(secrets, runId).keyId).not.toBe(sealedWithA.keyId);

    const withoutA = new SecretsKeyring(keyB);
    expect(() => withoutA.open(sealedWithA, runId)).toThrow(
      new RegExp(`sealed with key ${sealedWithA.keyId}, which this process does not have .*CONVEYOR_SECRETS_PREVIOUS_KEYS`),
    );
  });

  it("has no key to seal with when none is configured, saying how to make one", () => {
    const keyring = keyringFromEnv({});
    expect(keyring.current).toBeNull();
    expect(() => keyring.seal(secrets, runId)).toThrow(/CONVEYOR_SECRETS_KEY .*pnpm conveyor secrets generate-key/);
  });
});

describe("keys from the environment", () => {
  it("takes a base64 key, and previous keys beside it", () => {
    const keyring = keyringFromEnv({ CONVEYOR_SECRETS_KEY: keyB.toString("base64"), CONVEYOR_SECRETS_PREVIOUS_KEYS: ` ${keyA.toString("base64url")} ,` });
    expect(keyring.current?.id).toBe(new SecretsKeyring(keyB).current?.id);
    expect(keyring.open(new SecretsKeyring(keyA).seal(secrets, runId), runId)).toEqual(secrets);
  });

  it("takes a key file: the first key is current, later ones previous, comments ignored", () => {
    const file = join(mkdtempSync(join(tmpdir(), "conveyor-keys-")), "secrets.key");
    writeFileSync(file, `# rotated 2026-12-02\n${keyB.toString("base64")}\n\n${keyA.toString("base64")}  # the old one\n`);
    const keyring = keyringFromEnv({ CONVEYOR_SECRETS_KEY_FILE: file });
    expect(keyring.current?.id).toBe(new SecretsKeyring(keyB).current?.id);
    expect(keyring.keyIds).toHaveLength(2);
  });

  it("names the variable and the rule when a key is malformed", () => {
    expect(() => keyringFromEnv({ CONVEYOR_SECRETS_KEY: "c2hvcnQ=" })).toThrow("CONVEYOR_SECRETS_KEY: must be 32 bytes in base64 (44 characters), got 5 bytes");
    expect(() => keyringFromEnv({ CONVEYOR_SECRETS_KEY: "not a key!" })).toThrow("CONVEYOR_SECRETS_KEY: must be base64");
    expect(() =>
      keyringFromEnv({ CONVEYOR_SECRETS_KEY: keyA.toString("base64"), CONVEYOR_SECRETS_PREVIOUS_KEYS: `${keyB.toString("base64")},abc` }),
    ).toThrow("CONVEYOR_SECRETS_PREVIOUS_KEYS (key 2): must be 32 bytes");
    expect(() => keyringFromEnv({ CONVEYOR_SECRETS_KEY: keyA.toString("base64"), CONVEYOR_SECRETS_KEY_FILE: "/x" })).toThrow("not both");
    expect(() => keyringFromEnv({ CONVEYOR_SECRETS_KEY_FILE: "/nonexistent/conveyor.key" })).toThrow(/CONVEYOR_SECRETS_KEY_FILE \(\/nonexistent\/conveyor.key\) cannot be read/);
  });
});
