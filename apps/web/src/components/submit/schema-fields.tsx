import type { FieldModel, GroupField, TextField } from "../../lib/forms/field-model";
import { issuePathOf, type FormValues } from "../../lib/forms/form-values";
import { fieldIds, FieldErrors, FieldHint, RequiredMark } from "./field-frame";
import { BooleanFieldControl } from "./boolean-field";
import { JsonFieldControl } from "./json-field";
import { NumberFieldControl } from "./number-field";
import { SecretFieldControl } from "./secret-field";
import { SelectFieldControl } from "./select-field";
import { TextFieldControl } from "./text-field";

export interface SchemaFieldsProps {
  fields: readonly FieldModel[];
  values: FormValues;
  /** The server's messages by request path ("input.text"). */
  errors: ReadonlyMap<string, readonly string[]>;
  /** Makes the controls' ids unique on the page. */
  idPrefix: string;
  onChange: (key: string, value: string | boolean) => void;
  onFileRead: (field: TextField, fileName: string, text: string) => void;
}

const noErrors: readonly string[] = [];

/** The controls generated from a job type's input schema, in the schema's order. */
export function SchemaFields(props: SchemaFieldsProps) {
  return (
    <>
      {props.fields.map((field) => (
        <FieldControl key={field.key} field={field} {...props} />
      ))}
    </>
  );
}

/** The control one field calls for. */
function FieldControl({ field, ...props }: SchemaFieldsProps & { field: FieldModel }) {
  const path = issuePathOf(field);
  const leaf = {
    value: props.values[field.key],
    path,
    errors: props.errors.get(path) ?? noErrors,
    ids: fieldIds(props.idPrefix, field.key),
    onChange: props.onChange,
  };
  switch (field.kind) {
    case "group":
      return <GroupFieldset group={field} {...props} />;
    case "text":
      return <TextFieldControl field={field} {...leaf} onFileRead={props.onFileRead} />;
    case "secret":
      return <SecretFieldControl field={field} {...leaf} />;
    case "number":
      return <NumberFieldControl field={field} {...leaf} />;
    case "boolean":
      return <BooleanFieldControl field={field} {...leaf} />;
    case "select":
      return <SelectFieldControl field={field} {...leaf} />;
    case "json":
      return <JsonFieldControl field={field} {...leaf} />;
  }
}

/** An object with named fields: a fieldset of its own, errors about the object as a whole under its legend. */
function GroupFieldset({ group, ...props }: SchemaFieldsProps & { group: GroupField }) {
  const ids = fieldIds(props.idPrefix, group.key);
  const path = issuePathOf(group);
  const errors = props.errors.get(path) ?? noErrors;
  return (
    <fieldset
      className="submit-group"
      aria-describedby={errors.length > 0 ? ids.error : undefined}
      // Found by the form when it moves focus to the first problem: a fieldset takes no focus, its first control does.
      data-invalid={errors.length > 0 ? true : undefined}
      data-testid={`field-${group.key}`}
    >
      <legend>
        {group.label}
        {group.required && <RequiredMark />}
      </legend>
      <FieldErrors id={ids.error} path={path} errors={errors} />
      <FieldHint id={ids.hint} hint={group.hint} />
      <SchemaFields {...props} fields={group.fields} />
    </fieldset>
  );
}
