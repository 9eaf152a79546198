import type { NumberField } from "../../lib/forms/field-model";
import { FieldFrame } from "./field-frame";
import { textControlProps, type LeafProps } from "./leaf-props";

export function NumberFieldControl(props: LeafProps<NumberField>) {
  const { field, path, errors, ids } = props;
  return (
    <FieldFrame ids={ids} path={path} label={field.label} required={field.required} hint={field.hint} errors={errors}>
      <input
        {...textControlProps(props)}
        type="number"
        inputMode={field.integer ? "numeric" : "decimal"}
        min={field.min ?? undefined}
        max={field.max ?? undefined}
        step={field.step}
      />
    </FieldFrame>
  );
}
