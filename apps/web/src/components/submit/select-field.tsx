import type { SelectField } from "../../lib/forms/field-model";
import { describedBy, FieldFrame } from "./field-frame";
import { textOf, type LeafProps } from "./leaf-props";

/** One value of an enum; an optional one may be left unset. */
export function SelectFieldControl({ field, value, path, errors, ids, onChange }: LeafProps<SelectField>) {
  return (
    <FieldFrame ids={ids} path={path} label={field.label} required={field.required} hint={field.hint} errors={errors}>
      <select
        id={ids.control}
        name={field.key}
        value={textOf(value)}
        required={field.required}
        aria-invalid={errors.length > 0 ? true : undefined}
        aria-describedby={describedBy(ids, field.hint, errors)}
        onChange={(event) => onChange(field.key, event.target.value)}
        data-testid={`field-${field.key}`}
      >
        {(!field.required || field.nullable) && <option value="">—</option>}
        {field.options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </FieldFrame>
  );
}
