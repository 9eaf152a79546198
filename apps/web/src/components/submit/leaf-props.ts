import type { FieldIds } from "./field-frame";

/** What every generated control receives. */
export interface LeafProps<F> {
  field: F;
  /** What the control holds (undefined before the first render fills it). */
  value: string | boolean | undefined;
  /** The request path of its issues: "input.text". */
  path: string;
  errors: readonly string[];
  ids: FieldIds;
  onChange: (key: string, value: string | boolean) => void;
}

export function textOf(value: string | boolean | undefined): string {
  return typeof value === "string" ? value : "";
}
