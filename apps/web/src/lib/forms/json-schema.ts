import { z } from "zod";

/**
 * The part of JSON Schema (draft 2020-12, as zod 4's `toJSONSchema` writes it)
 * that the form generator reads. Other keywords pass through unread; a
 * schema whose known keywords have unexpected shapes is refused as a whole,
 * and the form falls back to one JSON box.
 */
export interface JsonSchemaNode {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchemaNode>;
  required?: string[];
  additionalProperties?: boolean | JsonSchemaNode;
  items?: boolean | JsonSchemaNode;
  anyOf?: JsonSchemaNode[];
  oneOf?: JsonSchemaNode[];
  $ref?: string;
  $defs?: Record<string, JsonSchemaNode>;
  definitions?: Record<string, JsonSchemaNode>;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  format?: string;
  pattern?: string;
  writeOnly?: boolean;
}

const jsonSchemaNode: z.ZodType<JsonSchemaNode> = z.lazy(() =>
  z
    .object({
      type: z.union([z.string(), z.array(z.string())]).optional(),
      title: z.string().optional(),
      description: z.string().optional(),
      default: z.unknown().optional(),
      enum: z.array(z.unknown()).optional(),
      const: z.unknown().optional(),
      properties: z.record(z.string(), jsonSchemaNode).optional(),
      required: z.array(z.string()).optional(),
      additionalProperties: z.union([z.boolean(), jsonSchemaNode]).optional(),
      items: z.union([z.boolean(), jsonSchemaNode]).optional(),
      anyOf: z.array(jsonSchemaNode).optional(),
      oneOf: z.array(jsonSchemaNode).optional(),
      $ref: z.string().optional(),
      $defs: z.record(z.string(), jsonSchemaNode).optional(),
      definitions: z.record(z.string(), jsonSchemaNode).optional(),
      minLength: z.number().optional(),
      maxLength: z.number().optional(),
      minimum: z.number().optional(),
      maximum: z.number().optional(),
      exclusiveMinimum: z.number().optional(),
      exclusiveMaximum: z.number().optional(),
      multipleOf: z.number().optional(),
      format: z.string().optional(),
      pattern: z.string().optional(),
      writeOnly: z.boolean().optional(),
    })
    // Unknown keywords ($schema, propertyNames, readOnly…) are kept and ignored.
    .loose(),
);

/** Read a schema the API sent (typed `unknown` on purpose: it is data, not code); null when it is not one we can read. */
export function parseJsonSchema(value: unknown): JsonSchemaNode | null {
  const parsed = jsonSchemaNode.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/**
 * The schema a local `$ref` ("#/$defs/name") points to in `root`; null for a
 * remote or unknown reference.
 */
export function resolveRef(root: JsonSchemaNode, ref: string): JsonSchemaNode | null {
  const match = /^#\/(\$defs|definitions)\/([^/]+)$/.exec(ref);
  if (!match) return null;
  const defs = match[1] === "$defs" ? root.$defs : root.definitions;
  const name = decodeURIComponent(match[2] ?? "").replace(/~1/g, "/").replace(/~0/g, "~");
  return defs && Object.hasOwn(defs, name) ? (defs[name] ?? null) : null;
}

/** The types a node allows, `type: ["string", "null"]` and `type: "string"` alike. */
export function typesOf(node: JsonSchemaNode): string[] {
  if (node.type === undefined) return [];
  return Array.isArray(node.type) ? node.type : [node.type];
}
