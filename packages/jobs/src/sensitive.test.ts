import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  defineJob,
  isSensitive,
  mergeSensitive,
  redactedPlaceholder,
  scrubSecrets,
  secretStringsOf,
  sensitive,
  sensitivePathsOf,
  splitSensitive,
  webhookDeliver,
} from "./index";

const input = z.object({
  url: z.url(),
  secret: sensitive(z.string().min(16)).optional(),
  auth: z.object({
    user: z.string(),
    token: sensitive(z.string()).default("anonymous-token"),
  }),
  options: z.object({ apiKey: sensitive(z.string()).nullable() }).optional(),
});
const paths = sensitivePathsOf(input);

describe("sensitive", () => {
  it("keeps the schema's type and validation", () => {
    const secret = sensitive(z.string().min(16));
    expectTypeOf(secret).toEqualTypeOf<z.ZodString>();
    expect(secret.safeParse("short").success).toBe(false);
    expect(isSensitive(secret)).toBe(true);
    // @ts-expect-error only string schemas: optionality is wrapped outside.
    sensitive(z.string().optional());
  });

  it("stays sensitive when checks or metadata are added afterwards", () => {
    const secret = sensitive(z.string());
    expect(isSensitive(secret.min(20).describe("signing secret"))).toBe(true);
    expect(isSensitive(z.string())).toBe(false);
  });

  it("marks the field writeOnly in the input's JSON Schema", () => {
    const schema = z.toJSONSchema(webhookDeliver.input, { io: "input", unrepresentable: "any" });
    expect(schema.properties?.["secret"]).toMatchObject({ type: "string", minLength: 16, maxLength: 256, writeOnly: true });
    expect(schema.properties?.["url"]).not.toHaveProperty("writeOnly");
  });
});

describe("sensitivePathsOf", () => {
  it("finds fields in nested objects through optional, default and nullable", () => {
    expect(paths).toEqual([["secret"], ["auth", "token"], ["options", "apiKey"]]);
  });

  it("finds fields through pipes, intersections and lazy schemas", () => {
    const schema = z
      .object({ a: sensitive(z.string()).transform((value) => value.trim()) })
      .and(z.object({ b: z.lazy(() => z.object({ c: sensitive(z.string()).readonly() })) }));
    expect(sensitivePathsOf(schema)).toEqual([["a"], ["b", "c"]]);
  });

  it("is empty for an input without sensitive fields, recursive ones included", () => {
    expect(sensitivePathsOf(z.object({ payload: z.json(), tags: z.array(z.string()) }))).toEqual([]);
  });

  it("refuses sensitive values that no fixed key reaches", () => {
    expect(() => sensitivePathsOf(z.object({ tokens: z.array(sensitive(z.string())) }))).toThrow(
      "sensitive fields must be reachable through object keys: tokens (array)",
    );
    expect(() => sensitivePathsOf(z.object({ keys: z.record(z.string(), sensitive(z.string())) }))).toThrow(/keys \(record\)/);
    expect(() => sensitivePathsOf(z.object({ auth: z.union([sensitive(z.string()), z.number()]) }))).toThrow(/auth \(union\)/);
    expect(() => sensitivePathsOf(z.object({ pair: z.tuple([z.string(), sensitive(z.string())]) }))).toThrow(/pair \(tuple\)/);
    expect(() => sensitivePathsOf(sensitive(z.string()))).toThrow(/the input \(a sensitive input needs a key\)/);
  });

  it("makes defineJob refuse such a contract, naming it", () => {
    expect(() =>
      defineJob({
        name: "bad.secrets",
        description: "Secrets in an array",
        input: z.object({ tokens: z.array(sensitive(z.string())) }),
        output: z.object({}),
        progress: z.object({}),
      }),
    ).toThrow("defineJob(bad.secrets): sensitive fields must be reachable through object keys: tokens (array)");
  });

  it("gives webhook.deliver its secret", () => {
    expect(webhookDeliver.sensitivePaths).toEqual([["secret"]]);
  });
});

describe("splitSensitive and mergeSensitive", () => {
  const submitted = {
    url: "https://example.com/hook",
    secret: "0123456789abcdef-signing",
    auth: { user: "ada", token: "tok-abcdef" },
    options: { apiKey: null },
  };

  it("replaces present secrets with the placeholder and puts them back", () => {
    const { visible, secrets } = splitSensitive(submitted, paths);
    expect(visible).toEqual({
      url: "https://example.com/hook",
      secret: redactedPlaceholder,
      auth: { user: "ada", token: redactedPlaceholder },
      options: { apiKey: null },
    });
    expect(secrets).toEqual({ secret: "0123456789abcdef-signing", "auth.token": "tok-abcdef" });
    expect(mergeSensitive(visible, secrets)).toEqual(submitted);
  });

  it("never mutates its arguments", () => {
    const original = structuredClone(submitted);
    const { visible, secrets } = splitSensitive(submitted, paths);
    const visibleBefore = structuredClone(visible);
    const merged = mergeSensitive(visible, secrets);
    expect(submitted).toEqual(original);
    expect(visible).toEqual(visibleBefore);
    expect(merged).not.toBe(submitted);
  });

  it("leaves absent optional secrets absent, with no secrets at all", () => {
    const bare = { url: "https://example.com/hook", auth: { user: "ada" } };
    const { visible, secrets } = splitSensitive(bare, paths);
    expect(visible).toEqual(bare);
    expect(visible).not.toHaveProperty("secret");
    expect(secrets).toBeNull();
    expect(mergeSensitive(visible, secrets)).toEqual(bare);
  });

  it("round-trips input parsed by the contract, which the handler then receives", () => {
    const parsed = webhookDeliver.input.parse({ url: "https://example.com/hook", payload: { a: 1 }, secret: "s".repeat(16) });
    const { visible, secrets } = splitSensitive(parsed, webhookDeliver.sensitivePaths);
    expect(JSON.stringify(visible)).not.toContain("s".repeat(16));
    expect(webhookDeliver.input.parse(mergeSensitive(visible, secrets))).toEqual(parsed);
  });

  it("keeps a key named __proto__ as plain data, never as a prototype", () => {
    const { visible, secrets } = splitSensitive({ ["__proto__"]: "secret-value" }, [["__proto__"]]);
    expect(Object.getOwnPropertyDescriptor(secrets, "__proto__")?.value).toBe("secret-value");
    const merged = mergeSensitive(visible, secrets);
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(merged, "__proto__")?.value).toBe("secret-value");
  });

  it("refuses to drop a secret it cannot put back", () => {
    expect(() => mergeSensitive({ url: "x" }, { "auth.token": "tok-abcdef" })).toThrow(
      "cannot restore sensitive field auth.token: the input has no object there",
    );
  });
});

describe("scrubbing", () => {
  it("collects the secret strings long enough to scrub", () => {
    expect(secretStringsOf({ a: "tok-abcdef", b: "abc", c: 42, d: "tok-abcdef" })).toEqual(["tok-abcdef"]);
    expect(secretStringsOf(null)).toEqual([]);
  });

  it("replaces every occurrence, longest secret first, escaped forms included", () => {
    const secrets = ["abcd", "xxabcdxx", 'q"uo\\te'];
    expect(scrubSecrets("key=xxabcdxx, again abcd and abcd", secrets)).toBe("key=[redacted], again [redacted] and [redacted]");
    expect(scrubSecrets(JSON.stringify({ secret: 'q"uo\\te' }), secrets)).toBe('{"secret":"[redacted]"}');
    expect(scrubSecrets("a.b*c", ["a.b*c"])).toBe("[redacted]");
    expect(scrubSecrets("nothing to hide", [])).toBe("nothing to hide");
  });
});
