import type { SelectField } from "../../lib/forms/field-model";
import { FieldFrame } from "./field-frame";
import { textControlProps, type LeafProps } from "./leaf-props";

/** One value of an enum; an optional one may be left unset. */
export function SelectFieldControl(props: LeafProps<SelectField>) {
  const { field, path, errors, ids } = props;
  return (
    <FieldFrame ids={ids} path={path} label={field.label} required={field.required} hint={field.hint} errors={errors}>
      <select {...textControlProps(props)}>
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
