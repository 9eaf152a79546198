import type { SecretField } from "../../lib/forms/field-model";
import { describedBy, FieldFrame } from "./field-frame";
import { textOf, type LeafProps } from "./leaf-props";

/** A `writeOnly` field: masked, never offered to or saved by the browser's autofill. */
export function SecretFieldControl({ field, value, path, errors, ids, onChange }: LeafProps<SecretField>) {
  return (
    <FieldFrame ids={ids} path={path} label={field.label} required={field.required} hint={field.hint} errors={errors}>
      <input
        id={ids.control}
        name={field.key}
        type="password"
        autoComplete="off"
        spellCheck={false}
        value={textOf(value)}
        required={field.required}
        maxLength={field.maxLength ?? undefined}
        aria-invalid={errors.length > 0 ? true : undefined}
        aria-describedby={describedBy(ids, field.hint, errors)}
        onChange={(event) => onChange(field.key, event.target.value)}
        data-testid={`field-${field.key}`}
      />
    </FieldFrame>
  );
}
