import { z } from "zod";

/**
 * Sensitive input fields: secrets a run needs (a signing secret, an access
 * token) but that no one should read back. On submit the data layer splits
 * them out of the stored input (`splitSensitive`); only the worker puts them
 * back (`mergeSensitive`) just before the handler runs, and scrubs them from
 * what the run records (`scrubSecrets`).
 */

/** What a sensitive value is replaced with wherever the input is shown. */
export const redactedPlaceholder = "[redacted]";

/**
 * The registry that marks sensitive schemas. Its metadata is a constant, but it
 * must be non-empty: `get()` inherits metadata from `_zod.parent` (set when
 * `.min()`, `.describe()` or `.meta()` clone a schema) only when the merged
 * result has keys, whereas `has()` sees the exact instance alone.
 */
const sensitiveRegistry = z.registry<{ sensitive: true }>();

/** Strings shorter than this are not scrubbed from text: they would mangle ordinary words. */
const minScrubbedLength = 4;

/**
 * Mark a string field of a contract's input as sensitive: it is kept out of
 * the stored input, shown as "[redacted]", and its JSON Schema says
 * `writeOnly: true`. Wrap optionality outside, so the placeholder stays a
 * valid value of the field's type.
 *
 * @example
 * input: z.object({
 *   url: z.url(),
 *   secret: sensitive(z.string().min(16)).optional(),
 * })
 */
export function sensitive<S extends z.ZodType<string>>(schema: S): S {
  // `.meta()` returns a registered clone; the clone is what the contract holds, so mark that one.
  const marked = schema.meta({ writeOnly: true });
  sensitiveRegistry.add(marked, { sensitive: true });
  return marked;
}

/** Whether a schema was made by `sensitive()` (or derived from one by adding checks or metadata). */
export function isSensitive(schema: z.core.$ZodType): boolean {
  return sensitiveRegistry.get(schema) !== undefined;
}

/**
 * The key paths of the sensitive fields of an input schema, e.g.
 * `[["secret"], ["auth", "token"]]`. Descends through objects, intersections,
 * pipes and wrappers (optional, nullable, default, prefault, readonly, catch,
 * lazy). Throws when a sensitive schema sits where no fixed key reaches it
 * (array, record, union, tuple, catchall…), or is the whole input: splitting
 * could not find it.
 */
export function sensitivePathsOf(schema: z.core.$ZodType): string[][] {
  const found = new Map<string, string[]>();
  collectPaths(schema, [], found, new Set());
  return [...found.values()];
}

function collectPaths(
  schema: z.core.$ZodType,
  path: string[],
  found: Map<string, string[]>,
  ancestors: Set<z.core.$ZodType>,
): void {
  if (isSensitive(schema)) return addPath(path, found);
  if (ancestors.has(schema)) {
    // A recursive schema: its fields were collected at the shallower path; deeper copies have no fixed path.
    if (containsSensitive(schema, new Set())) throw unreachable(path, "recursive schema");
    return;
  }
  const inside = new Set(ancestors).add(schema);
  for (const [key, child] of keyedChildren(schema, path)) collectPaths(child, key === null ? path : [...path, key], found, inside);
}

/**
 * The children a fixed key path reaches: object properties (with their key),
 * and the inner schemas of wrappers, pipes and intersections (same path).
 * Any other schema must not contain a sensitive one.
 */
function keyedChildren(schema: z.core.$ZodType, path: string[]): [string | null, z.core.$ZodType][] {
  if (schema instanceof z.core.$ZodObject) {
    const { shape, catchall } = schema._zod.def;
    if (catchall && containsSensitive(catchall, new Set())) throw unreachable(path, "object catchall");
    return Object.entries(shape);
  }
  if (schema instanceof z.core.$ZodPipe) return [[null, schema._zod.def.in], [null, schema._zod.def.out]];
  if (schema instanceof z.core.$ZodIntersection) return [[null, schema._zod.def.left], [null, schema._zod.def.right]];
  const inner = wrappedSchema(schema);
  if (inner) return [[null, inner]];
  if (containsSensitive(schema, new Set())) throw unreachable(path, schema._zod.def.type);
  return [];
}

/** The inner schema of a wrapper that leaves the value's place unchanged. */
function wrappedSchema(schema: z.core.$ZodType): z.core.$ZodType | null {
  if (schema instanceof z.core.$ZodOptional) return schema._zod.def.innerType;
  if (schema instanceof z.core.$ZodNullable) return schema._zod.def.innerType;
  if (schema instanceof z.core.$ZodDefault) return schema._zod.def.innerType;
  if (schema instanceof z.core.$ZodPrefault) return schema._zod.def.innerType;
  if (schema instanceof z.core.$ZodNonOptional) return schema._zod.def.innerType;
  if (schema instanceof z.core.$ZodReadonly) return schema._zod.def.innerType;
  if (schema instanceof z.core.$ZodCatch) return schema._zod.def.innerType;
  if (schema instanceof z.core.$ZodLazy) return schema._zod.innerType;
  return null;
}

/**
 * Whether a sensitive schema appears anywhere below `schema`. Walks every
 * schema found in the definitions (directly, in arrays such as union options,
 * or in plain objects such as a shape), so kinds added to zod later are covered.
 */
function containsSensitive(schema: z.core.$ZodType, seen: Set<z.core.$ZodType>): boolean {
  if (isSensitive(schema)) return true;
  if (seen.has(schema)) return false;
  seen.add(schema);
  return childSchemas(schema).some((child) => containsSensitive(child, seen));
}

function childSchemas(schema: z.core.$ZodType): z.core.$ZodType[] {
  if (schema instanceof z.core.$ZodLazy) return [schema._zod.innerType];
  const children: z.core.$ZodType[] = [];
  for (const value of Object.values(schema._zod.def)) {
    const candidates: unknown[] = Array.isArray(value) ? value : isRecord(value) && !isSchema(value) ? Object.values(value) : [value];
    for (const candidate of candidates) if (isSchema(candidate)) children.push(candidate);
  }
  return children;
}

function isSchema(value: unknown): value is z.core.$ZodType {
  return value instanceof z.core.$ZodType;
}

function addPath(path: string[], found: Map<string, string[]>): void {
  if (path.length === 0) throw unreachable(path, "a sensitive input needs a key");
  // Secrets are stored keyed by the joined path, which must split back unambiguously.
  const dotted = path.find((key) => key.includes("."));
  if (dotted !== undefined) throw new Error(`sensitive field keys must not contain ".": ${JSON.stringify(dotted)} in ${path.join(".")}`);
  found.set(path.join("."), path);
}

function unreachable(path: string[], kind: string): Error {
  return new Error(`sensitive fields must be reachable through object keys: ${path.length ? path.join(".") : "the input"} (${kind})`);
}

/**
 * Copy an input with each present sensitive value replaced by the
 * placeholder; `secrets` holds the originals keyed by the dotted path (null
 * when there were none). Absent, undefined and null values are left as they are.
 * A contract without sensitive fields gets its input back as it is, uncopied.
 */
export function splitSensitive(
  input: unknown,
  paths: readonly (readonly string[])[],
): { visible: unknown; secrets: Record<string, unknown> | null } {
  // Nothing to take out (most contracts): the input itself, not a copy of it (the callers pass
  // what their schema's parse returned, a value of their own; the copy was 1.9% of the API's CPU).
  if (paths.length === 0) return { visible: input, secrets: null };
  const visible = structuredClone(input);
  const secrets: [string, unknown][] = [];
  for (const path of paths) {
    const { parent, key } = locate(visible, path);
    if (!parent || !Object.hasOwn(parent, key)) continue;
    const value = parent[key];
    if (value === undefined || value === null) continue;
    secrets.push([path.join("."), value]);
    setOwn(parent, key, redactedPlaceholder);
  }
  // fromEntries defines own properties, so even a "__proto__" key stays plain data.
  return { visible, secrets: secrets.length > 0 ? Object.fromEntries(secrets) : null };
}

/**
 * The visible input with the secrets put back in their places: the input the handler receives (a copy;
 * without secrets, the visible input itself).
 */
export function mergeSensitive(visible: unknown, secrets: Record<string, unknown> | null): unknown {
  // Nothing to restore (most runs): the input as stored, not a copy of it.
  if (secrets === null || isEmpty(secrets)) return visible;
  const merged = structuredClone(visible);
  for (const [dotted, value] of Object.entries(secrets)) {
    const path = dotted.split(".");
    const { parent, key } = locate(merged, path);
    // Dropping a secret silently could, say, send a webhook unsigned; fail the attempt instead.
    if (!parent) throw new Error(`cannot restore sensitive field ${dotted}: the input has no object there`);
    setOwn(parent, key, structuredClone(value));
  }
  return merged;
}

/** The secret strings worth scrubbing from log lines and error messages. */
export function secretStringsOf(secrets: Record<string, unknown> | null): readonly string[] {
  if (secrets === null || isEmpty(secrets)) return noSecrets;
  const strings = Object.values(secrets ?? {}).filter((value): value is string => typeof value === "string");
  return [...new Set(strings.filter((value) => value.length >= minScrubbedLength))];
}

const noSecrets: readonly string[] = Object.freeze([]);

function isEmpty(record: Record<string, unknown>): boolean {
  return Object.keys(record).length === 0;
}

/**
 * Replace every occurrence of each secret in `text` with the placeholder,
 * including its JSON-escaped form (a secret inside a serialised payload).
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  const needles = new Set(secrets.flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1)]));
  // Longest first, in one pass: a secret that contains another is replaced whole, and placeholders are not rescanned.
  const ordered = [...needles].filter((needle) => needle.length > 0).sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return text;
  const pattern = new RegExp(ordered.map(escapeRegExp).join("|"), "g");
  return text.replace(pattern, () => redactedPlaceholder);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The object holding the last key of `path`, following own properties only; null if there is none. */
function locate(root: unknown, path: readonly string[]): { parent: Record<string, unknown> | null; key: string } {
  const key = path.at(-1) ?? "";
  let node = root;
  for (const step of path.slice(0, -1)) {
    if (!isRecord(node) || !Object.hasOwn(node, step)) return { parent: null, key };
    node = node[step];
  }
  return { parent: isRecord(node) ? node : null, key };
}

/** Set an own data property; plain assignment to "__proto__" would replace the prototype instead. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
