import type { BooleanField } from "../../lib/forms/field-model";
import { describedBy, FieldErrors, FieldHint, RequiredMark } from "./field-frame";
import type { LeafProps } from "./leaf-props";

/** A checkbox with its label beside it. */
export function BooleanFieldControl({ field, value, path, errors, ids, onChange }: LeafProps<BooleanField>) {
  return (
    <div className={`submit-field${errors.length > 0 ? " submit-field-invalid" : ""}`}>
      <label className="submit-check" htmlFor={ids.control}>
        <input
          id={ids.control}
          name={field.key}
          type="checkbox"
          checked={value === true}
          aria-invalid={errors.length > 0 ? true : undefined}
          aria-describedby={describedBy(ids, field.hint, errors)}
          onChange={(event) => onChange(field.key, event.target.checked)}
          data-testid={`field-${field.key}`}
        />
        {field.label}
        {field.required && <RequiredMark />}
      </label>
      <FieldErrors id={ids.error} path={path} errors={errors} />
      <FieldHint id={ids.hint} hint={field.hint} />
    </div>
  );
}
