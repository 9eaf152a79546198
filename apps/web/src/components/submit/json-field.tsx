import type { JsonField } from "../../lib/forms/field-model";
import { describedBy, FieldFrame } from "./field-frame";
import { textOf, type LeafProps } from "./leaf-props";

/** Free JSON (a payload, a record, a list): typed as text, parsed when the form is sent. */
export function JsonFieldControl({ field, value, path, errors, ids, onChange }: LeafProps<JsonField>) {
  return (
    <FieldFrame ids={ids} path={path} label={field.label} required={field.required} hint={field.hint} errors={errors}>
      <textarea
        id={ids.control}
        name={field.key}
        className="submit-json"
        rows={4}
        spellCheck={false}
        autoCapitalize="off"
        placeholder={field.placeholder}
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
