import type { JsonField } from "../../lib/forms/field-model";
import { FieldFrame } from "./field-frame";
import { textControlProps, type LeafProps } from "./leaf-props";

/** Free JSON (a payload, a record, a list): typed as text, parsed when the form is sent. */
export function JsonFieldControl(props: LeafProps<JsonField>) {
  const { field, path, errors, ids } = props;
  return (
    <FieldFrame ids={ids} path={path} label={field.label} required={field.required} hint={field.hint} errors={errors}>
      <textarea
        {...textControlProps(props)}
        className="submit-json"
        rows={4}
        spellCheck={false}
        autoCapitalize="off"
        placeholder={field.placeholder}
      />
    </FieldFrame>
  );
}
