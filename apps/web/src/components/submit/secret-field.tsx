import type { SecretField } from "../../lib/forms/field-model";
import { FieldFrame } from "./field-frame";
import { textControlProps, type LeafProps } from "./leaf-props";

/** A `writeOnly` field: masked, never offered to or saved by the browser's autofill. */
export function SecretFieldControl(props: LeafProps<SecretField>) {
  const { field, path, errors, ids } = props;
  return (
    <FieldFrame ids={ids} path={path} label={field.label} required={field.required} hint={field.hint} errors={errors}>
      <input
        {...textControlProps(props)}
        type="password"
        autoComplete="off"
        spellCheck={false}
        maxLength={field.maxLength ?? undefined}
      />
    </FieldFrame>
  );
}
