import { leafFields, topFields, type FieldModel, type FormModel, type LeafField } from "./field-model";
import type { FieldIssue } from "./issues";

/** What each control holds, by field key: text as typed (numbers and JSON too), checkboxes as booleans. */
export type FormValues = Readonly<Record<string, string | boolean>>;

/** Where a field's issues point in `jobs.submit`'s request: "input.text", or "input" for a whole-value input. */
export function issuePathOf(field: Pick<FieldModel, "key">): string {
  return field.key ? `input.${field.key}` : "input";
}

/** The request path of every field the form shows, groups included: where the server's issues can be put. */
export function fieldPathsOf(model: FormModel): string[] {
  const walk = (fields: readonly FieldModel[]): string[] =>
    fields.flatMap((field) => [issuePathOf(field), ...(field.kind === "group" ? walk(field.fields) : [])]);
  return walk(topFields(model));
}

/** Every control at its schema default. */
export function initialValues(model: FormModel): FormValues {
  return Object.fromEntries(leafFields(topFields(model)).map((field) => [field.key, field.defaultValue]));
}

export type BuiltInput = { ok: true; input: unknown } | { ok: false; issues: FieldIssue[] };

/** A field's contribution: a value, nothing (left out of the input), or a problem found before sending. */
type Read = { value: unknown } | { omit: true } | { issue: string };

/**
 * The input to submit from the controls' values. Only JSON boxes are checked
 * here (the server cannot read a half-typed JSON text); every other rule is
 * left to the server, whose messages the form shows by each field.
 */
export function buildInput(model: FormModel, values: FormValues): BuiltInput {
  const issues: FieldIssue[] = [];
  const collect = (field: FieldModel): Read => {
    const read = readField(field, values, collect);
    if ("issue" in read) issues.push({ path: issuePathOf(field), message: read.issue });
    return read;
  };
  let input: unknown;
  if (model.shape === "object") {
    input = readObject(model.fields, collect);
  } else {
    const read = collect(model.field);
    input = "value" in read ? read.value : undefined;
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, input };
}

function readObject(fields: readonly FieldModel[], collect: (field: FieldModel) => Read): Record<string, unknown> {
  const entries: [string, unknown][] = [];
  for (const field of fields) {
    const read = collect(field);
    if ("value" in read) entries.push([field.path.at(-1) ?? field.key, read.value]);
  }
  // fromEntries defines own properties: a field named "__proto__" stays data.
  return Object.fromEntries(entries);
}

function readField(field: FieldModel, values: FormValues, collect: (field: FieldModel) => Read): Read {
  if (field.kind === "group") {
    const object = readObject(field.fields, collect);
    // An optional group left untouched is left out, rather than sent as {} that its required fields would refuse.
    if (!field.required && Object.keys(object).length === 0) return { omit: true };
    return { value: object };
  }
  return readLeaf(field, values[field.key]);
}

function empty(field: LeafField): Read {
  return field.nullable ? { value: null } : { omit: true };
}

function readLeaf(field: LeafField, raw: string | boolean | undefined): Read {
  switch (field.kind) {
    case "boolean": {
      const checked = raw === true;
      return checked || field.required || field.hasDefault ? { value: checked } : { omit: true };
    }
    case "text":
    case "secret": {
      const text = typeof raw === "string" ? raw : "";
      // A required text goes as typed, even empty, so the server's own rule names the problem ("the document is empty").
      if (text === "" && !field.required) return empty(field);
      return { value: text };
    }
    case "number": {
      const text = typeof raw === "string" ? raw.trim() : "";
      if (text === "") return empty(field);
      const value = Number(text);
      return Number.isFinite(value) ? { value } : { issue: "must be a number" };
    }
    case "select": {
      const text = typeof raw === "string" ? raw : "";
      const option = field.options.find((candidate) => candidate.value === text);
      return option ? { value: option.data } : empty(field);
    }
    case "json":
      return readJson(field, typeof raw === "string" ? raw : "");
  }
}

function readJson(field: LeafField, text: string): Read {
  if (text.trim() === "") return field.required ? { issue: "enter a JSON value, e.g. {}" } : empty(field);
  try {
    const value: unknown = JSON.parse(text);
    return { value };
  } catch (error) {
    return { issue: `not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
}
