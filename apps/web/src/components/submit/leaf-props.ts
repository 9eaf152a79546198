import type { FieldBase } from "../../lib/forms/field-model";
import { describedBy, type FieldIds } from "./field-frame";

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

/**
 * What every text-valued control (input, textarea, select) carries: its id and
 * name, value, required mark, validity and description for assistive
 * technology, test id, and the change handler.
 */
export function textControlProps({ field, value, errors, ids, onChange }: LeafProps<FieldBase>) {
  return {
    id: ids.control,
    name: field.key,
    value: textOf(value),
    required: field.required,
    "aria-invalid": errors.length > 0 ? true : undefined,
    "aria-describedby": describedBy(ids, field.hint, errors),
    "data-testid": `field-${field.key}`,
    onChange: (event: { target: { value: string } }) => onChange(field.key, event.target.value),
  };
}
