import { parseJsonSchema, resolveRef, typesOf, type JsonSchemaNode } from "./json-schema";

/**
 * The form a job type's input schema calls for, as plain data: which control
 * each field gets, its label, hint, limits and default. Rendering reads this
 * model and nothing else, so the mapping is tested without a browser.
 */

export interface FieldBase {
  /** Dotted key from the input's root ("text", "auth.token"); "" when the whole input is one value. */
  key: string;
  /** The input's keys down to this field. */
  path: string[];
  label: string;
  required: boolean;
  /** The schema allows null: an emptied field sends null rather than nothing. */
  nullable: boolean;
  /** The schema's description and a reading of its limits ("up to 200 characters"). */
  hint: string | null;
}

export interface TextField extends FieldBase {
  kind: "text";
  multiline: boolean;
  inputType: "text" | "url" | "email";
  minLength: number | null;
  maxLength: number | null;
  /** Document-sized: offer a file picker that reads a file into it. */
  acceptsFile: boolean;
  defaultValue: string;
}

/** A `writeOnly` string (a secret): typed into a password box the browser does not remember. */
export interface SecretField extends FieldBase {
  kind: "secret";
  minLength: number | null;
  maxLength: number | null;
  defaultValue: string;
}

export interface NumberField extends FieldBase {
  kind: "number";
  integer: boolean;
  min: number | null;
  max: number | null;
  step: number | "any";
  /** As the input box holds it: "" for none. */
  defaultValue: string;
}

export interface BooleanField extends FieldBase {
  kind: "boolean";
  defaultValue: boolean;
  /** The schema gives a default, so the value is always sent. */
  hasDefault: boolean;
}

export interface SelectOption {
  /** The option's value attribute: the JSON text of `data`, unique per option. */
  value: string;
  label: string;
  data: unknown;
}

export interface SelectField extends FieldBase {
  kind: "select";
  options: SelectOption[];
  /** An option's `value`, or "" for none. */
  defaultValue: string;
}

/** An object with named properties: a fieldset of its own fields. */
export interface GroupField extends FieldBase {
  kind: "group";
  fields: FieldModel[];
}

/** Anything without a control of its own (free JSON, records, arrays, unions): typed as JSON text. */
export interface JsonField extends FieldBase {
  kind: "json";
  defaultValue: string;
  placeholder: string;
}

export type FieldModel = TextField | SecretField | NumberField | BooleanField | SelectField | GroupField | JsonField;
export type LeafField = Exclude<FieldModel, GroupField>;

/** An object input is a list of fields; any other input is one field holding the whole value. */
export type FormModel = { shape: "object"; fields: FieldModel[] } | { shape: "value"; field: FieldModel };

/** Strings longer than this get a textarea. */
const longTextLength = 500;
/** Fields named like this hold prose, whatever their limit. */
const proseNames = new Set(["text", "body"]);
/** Strings allowed to be this long (or unbounded prose) are documents: they get a file picker. */
const documentLength = 100_000;

interface Context {
  root: JsonSchemaNode;
  path: string[];
  required: boolean;
  /** The enclosing object's default value for this field, used when the field has none of its own. */
  inheritedDefault: unknown;
  /** References being expanded on the way here: a recursive one becomes a JSON box. */
  refs: ReadonlySet<string>;
}

/** The form for an input schema as the API sends it (unknown: it is data). */
export function formModelOf(schema: unknown): FormModel {
  const root = parseJsonSchema(schema);
  if (!root) return { shape: "value", field: jsonField({ ...rootContext({}), required: true }, {}, false) };
  const context = rootContext(root);
  const node = expand(root, context);
  if (node && isPlainObjectSchema(node)) return { shape: "object", fields: objectFields(node, context) };
  return { shape: "value", field: fieldOf(root, { ...context, required: true }) };
}

function rootContext(root: JsonSchemaNode): Context {
  return { root, path: [], required: true, inheritedDefault: undefined, refs: new Set() };
}

/** An object schema whose fields are named (`properties`) and nothing else is accepted beside them. */
function isPlainObjectSchema(node: JsonSchemaNode): boolean {
  const types = typesOf(node).filter((type) => type !== "null");
  const objectOnly = types.length === 1 && types[0] === "object";
  const extraAllowed = node.additionalProperties !== undefined && node.additionalProperties !== false;
  return objectOnly && node.properties !== undefined && !extraAllowed;
}

function objectFields(node: JsonSchemaNode, context: Context): FieldModel[] {
  const required = new Set(node.required ?? []);
  const defaults = isRecord(node.default) ? node.default : isRecord(context.inheritedDefault) ? context.inheritedDefault : {};
  return Object.entries(node.properties ?? {}).map(([key, child]) =>
    fieldOf(child, {
      ...context,
      path: [...context.path, key],
      required: required.has(key),
      inheritedDefault: Object.hasOwn(defaults, key) ? defaults[key] : undefined,
    }),
  );
}

/** Follow `$ref`s, keeping the referring node's own title, description and default; null for a dangling or recursive one. */
function expand(node: JsonSchemaNode, context: Context): JsonSchemaNode | null {
  if (node.$ref === undefined) return node;
  if (context.refs.has(node.$ref)) return null;
  const target = resolveRef(context.root, node.$ref);
  if (!target) return null;
  const { $ref: _ref, ...own } = node;
  return expand({ ...target, ...own, $ref: target.$ref }, { ...context, refs: new Set(context.refs).add(node.$ref) });
}

function fieldOf(raw: JsonSchemaNode, context: Context): FieldModel {
  const node = expand(raw, context);
  const refs = raw.$ref ? new Set(context.refs).add(raw.$ref) : context.refs;
  const inner = { ...context, refs };
  if (!node) return jsonField(inner, raw, false);

  // `X | null` is X that may be emptied; any other union is typed as JSON.
  const alternatives = node.anyOf ?? node.oneOf;
  if (alternatives) {
    const nonNull = alternatives.filter((option) => !isNullSchema(option, inner));
    const [only] = nonNull;
    if (nonNull.length === 1 && only && alternatives.length === 2) {
      const field = fieldOf({ ...only, title: node.title ?? only.title, description: node.description ?? only.description, default: node.default ?? only.default }, inner);
      return { ...field, nullable: true };
    }
    return jsonField(inner, node, false);
  }

  const types = typesOf(node);
  const nullable = types.includes("null");
  const valueTypes = types.filter((type) => type !== "null");
  const enumValues = node.enum ?? (node.const !== undefined ? [node.const] : undefined);
  if (enumValues) return enumValues.every(isPrimitive) ? selectField(inner, node, enumValues, nullable) : jsonField(inner, node, nullable);
  if (valueTypes.length !== 1) return jsonField(inner, node, nullable);

  switch (valueTypes[0]) {
    case "string":
      return node.writeOnly ? secretField(inner, node, nullable) : textField(inner, node, nullable);
    case "number":
    case "integer":
      return numberField(inner, node, nullable, valueTypes[0] === "integer");
    case "boolean":
      return booleanField(inner, node, nullable);
    case "object":
      return isPlainObjectSchema(node) && Object.keys(node.properties ?? {}).length > 0
        ? { ...base(inner, node, nullable, null), kind: "group", fields: objectFields(node, inner) }
        : jsonField(inner, node, nullable);
    default:
      return jsonField(inner, node, nullable);
  }
}

function base(context: Context, node: JsonSchemaNode, nullable: boolean, limits: string | null): FieldBase {
  const key = context.path.join(".");
  const name = context.path.at(-1);
  const hint = [node.description, limits].filter((part): part is string => Boolean(part)).join(" · ");
  return {
    key,
    path: context.path,
    label: node.title ?? (name === undefined ? "Input" : humanize(name)),
    required: context.required,
    nullable,
    hint: hint || null,
  };
}

function defaultOf(node: JsonSchemaNode, context: Context): unknown {
  return node.default !== undefined ? node.default : context.inheritedDefault;
}

function textField(context: Context, node: JsonSchemaNode, nullable: boolean): TextField {
  const name = context.path.at(-1) ?? "";
  const maxLength = node.maxLength ?? null;
  const multiline = (maxLength !== null && maxLength > longTextLength) || proseNames.has(name);
  const inputType = node.format === "uri" || node.format === "url" ? "url" : node.format === "email" ? "email" : "text";
  const fallback = defaultOf(node, context);
  return {
    ...base(context, node, nullable, [lengthHint(node), formatHint(inputType)].filter(Boolean).join(", ") || null),
    kind: "text",
    multiline,
    inputType,
    minLength: node.minLength ?? null,
    maxLength,
    acceptsFile: multiline && (maxLength === null || maxLength >= documentLength),
    defaultValue: typeof fallback === "string" ? fallback : "",
  };
}

function secretField(context: Context, node: JsonSchemaNode, nullable: boolean): SecretField {
  const fallback = defaultOf(node, context);
  return {
    ...base(context, node, nullable, [lengthHint(node), "kept secret: never shown again"].filter(Boolean).join(", ")),
    kind: "secret",
    minLength: node.minLength ?? null,
    maxLength: node.maxLength ?? null,
    defaultValue: typeof fallback === "string" ? fallback : "",
  };
}

function numberField(context: Context, node: JsonSchemaNode, nullable: boolean, integer: boolean): NumberField {
  const min = node.minimum ?? node.exclusiveMinimum ?? null;
  const max = node.maximum ?? node.exclusiveMaximum ?? null;
  const fallback = defaultOf(node, context);
  return {
    ...base(context, node, nullable, rangeHint(integer, node)),
    kind: "number",
    integer,
    min,
    max,
    step: node.multipleOf ?? (integer ? 1 : "any"),
    defaultValue: typeof fallback === "number" ? String(fallback) : "",
  };
}

function booleanField(context: Context, node: JsonSchemaNode, nullable: boolean): BooleanField {
  const fallback = defaultOf(node, context);
  return { ...base(context, node, nullable, null), kind: "boolean", defaultValue: fallback === true, hasDefault: typeof fallback === "boolean" };
}

function selectField(context: Context, node: JsonSchemaNode, values: unknown[], nullable: boolean): SelectField {
  const options = values.map((data) => ({ value: JSON.stringify(data), label: data === null ? "none" : String(data), data }));
  const fallback = defaultOf(node, context);
  const preset = options.find((option) => fallback !== undefined && option.value === JSON.stringify(fallback));
  // A required choice without a default starts on its first option, as a native select would.
  const defaultValue = preset?.value ?? (context.required ? (options[0]?.value ?? "") : "");
  return { ...base(context, node, nullable || values.includes(null), null), kind: "select", options, defaultValue };
}

function jsonField(context: Context, node: JsonSchemaNode, nullable: boolean): JsonField {
  const types = typesOf(node).filter((type) => type !== "null");
  const shape = types.length === 1 ? types[0] : undefined;
  const fallback = defaultOf(node, context);
  const described =
    shape === "object" ? "a JSON object" : shape === "array" ? "a JSON array" : shape ? `JSON (${shape})` : "any JSON value";
  return {
    ...base(context, node, nullable, described),
    kind: "json",
    defaultValue: fallback === undefined ? "" : JSON.stringify(fallback, null, 2),
    placeholder: shape === "array" ? "[]" : shape === "object" ? "{}" : '{ "key": "value" }',
  };
}

function isNullSchema(node: JsonSchemaNode, context: Context): boolean {
  const expanded = expand(node, context);
  return expanded !== null && typesOf(expanded).length === 1 && typesOf(expanded)[0] === "null";
}

function lengthHint(node: JsonSchemaNode): string | null {
  const { minLength, maxLength } = node;
  // minLength 1 says "not empty", which the required mark already does.
  const min = minLength !== undefined && minLength > 1 ? minLength : undefined;
  if (min !== undefined && maxLength !== undefined) return `${count(min)} to ${count(maxLength)} characters`;
  if (min !== undefined) return `at least ${count(min)} characters`;
  if (maxLength !== undefined) return `up to ${count(maxLength)} characters`;
  return null;
}

function formatHint(inputType: TextField["inputType"]): string | null {
  return inputType === "url" ? "a URL" : inputType === "email" ? "an email address" : null;
}

function rangeHint(integer: boolean, node: JsonSchemaNode): string | null {
  const kind = integer ? "a whole number" : "a number";
  const min = node.minimum ?? node.exclusiveMinimum;
  const max = node.maximum ?? node.exclusiveMaximum;
  if (min !== undefined && max !== undefined) return `${kind} from ${count(min)} to ${count(max)}`;
  if (min !== undefined) return `${kind}, at least ${count(min)}`;
  if (max !== undefined) return `${kind}, at most ${count(max)}`;
  return integer ? kind : null;
}

function count(value: number): string {
  return value.toLocaleString("en-US");
}

const acronyms = new Map([
  ["url", "URL"],
  ["id", "ID"],
  ["ids", "IDs"],
  ["json", "JSON"],
  ["http", "HTTP"],
  ["api", "API"],
]);

/** "topKeywords" → "Top keywords", "requestTimeoutMs" → "Request timeout (ms)", "callback_url" → "Callback URL". */
export function humanize(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[\s_-]+/)
    .filter(Boolean)
    .map((word) => word.toLowerCase());
  const unit = words.length > 1 && (words.at(-1) === "ms" || words.at(-1) === "seconds") ? words.pop() : undefined;
  const text = words.map((word, index) => acronyms.get(word) ?? (index === 0 ? word.charAt(0).toUpperCase() + word.slice(1) : word)).join(" ");
  return unit ? `${text} (${unit === "ms" ? "ms" : "s"})` : text || key;
}

function isPrimitive(value: unknown): boolean {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Every field that holds a value, groups flattened, in form order. */
export function leafFields(fields: readonly FieldModel[]): LeafField[] {
  return fields.flatMap((field) => (field.kind === "group" ? leafFields(field.fields) : [field]));
}

/** The fields of a model as a list (one for a whole-value input). */
export function topFields(model: FormModel): FieldModel[] {
  return model.shape === "object" ? model.fields : [model.field];
}
