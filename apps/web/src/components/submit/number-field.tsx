import type { NumberField } from "../../lib/forms/field-model";
import { describedBy, FieldFrame } from "./field-frame";
import { textOf, type LeafProps } from "./leaf-props";

export function NumberFieldControl({ field, value, path, errors, ids, onChange }: LeafProps<NumberField>) {
  return (
    <FieldFrame ids={ids} path={path} label={field.label} required={field.required} hint={field.hint} errors={errors}>
      <input
        id={ids.control}
        name={field.key}
        type="number"
        inputMode={field.integer ? "numeric" : "decimal"}
        min={field.min ?? undefined}
        max={field.max ?? undefined}
        step={field.step}
        value={textOf(value)}
        required={field.required}
        aria-invalid={errors.length > 0 ? true : undefined}
        aria-describedby={describedBy(ids, field.hint, errors)}
        onChange={(event) => onChange(field.key, event.target.value)}
        data-testid={`field-${field.key}`}
      />
    </FieldFrame>
  );
}
